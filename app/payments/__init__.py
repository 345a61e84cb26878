"""Payment requests sent by the practitioner during a teleconsultation (SPEC §9), paid
through the payment provider's Checkout Sessions, their status from its signed webhooks."""
