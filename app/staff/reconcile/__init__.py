"""To reconcile (SPEC §10): online appointments of patients the portal could not identify,
each with the files it may belong to, attached to one of them or to a file created from
what the patient typed."""
