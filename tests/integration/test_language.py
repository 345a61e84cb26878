"""Language: ?lang= (kept in a cookie), then Accept-Language, then the clinic's default."""

from tenants.tables import Clinic


async def test_clinic_default_is_french(demo):
    response = await demo.get("/centre-ville/")
    assert '<html lang="fr">' in response.text
    assert "Prendre rendez-vous" in response.text
    assert "Enregistrer et continuer" in response.text
    assert "<strong>Centre-ville</strong>" in response.text  # the site's French name


async def test_browser_preference_beats_the_clinic_default(demo):
    response = await demo.get("/centre-ville/", headers={"accept-language": "en-CA,en;q=0.9"})
    assert '<html lang="en">' in response.text
    assert "Book an appointment" in response.text
    assert "Save and continue" in response.text
    assert "<strong>Downtown</strong>" in response.text


async def test_switch_sets_a_cookie_that_later_pages_follow(demo):
    response = await demo.get("/centre-ville/?lang=en")
    assert "Book an appointment" in response.text
    assert "lang=en" in response.headers["set-cookie"]
    # The cookie now beats the browser's French.
    later = await demo.get("/laval/", headers={"accept-language": "fr"})
    assert '<html lang="en">' in later.text


async def test_unknown_language_falls_back_and_changes_nothing(demo):
    response = await demo.get("/centre-ville/?lang=de")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert "set-cookie" not in response.headers or "lang=" not in response.headers["set-cookie"]


async def test_a_clinic_whose_default_is_english(autre):
    await Clinic.update({Clinic.default_language: "en"}).where(Clinic.slug == "autre")
    response = await autre.get("/principal/")
    assert "<strong>Main office</strong>" in response.text


async def test_the_404_page_is_translated(demo):
    response = await demo.get("/nowhere/")
    assert response.status_code == 404
    assert "Page introuvable" in response.text
