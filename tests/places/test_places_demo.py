"""`lantern demo` for places and peers: the railway station and its platform are one place
with 3 incidents; Jordan's network shows Tee and the car, each seen twice; the places'
profiles have a shape over the past weeks."""

from __future__ import annotations

from api.demo import DEMO_PASSWORD, load_demo


async def _sign_in(client, username: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_the_demo_station_jordans_network_and_a_profile_with_a_shape(client, settings):
    await load_demo(settings)
    await load_demo(settings)  # nothing is added the second time
    worker = await _sign_in(client, "worker.cce")
    found = await client.get(
        "/api/v1/places/suggestions", params={"q": "Leicester railway station, platform 2"}, headers=worker
    )
    station = found.json()["items"][0]
    assert station["name"] == "Leicester railway station"

    profile = (await client.get(f"/api/v1/places/{station['id']}/profile", headers=worker)).json()
    assert profile["incidents"] == 3
    assert [p["first_name"] for p in profile["young_people"]] == ["Jordan"]
    assert {c["person"]["nickname"] for c in profile["persons_of_concern"]} == {"Tee", None}
    assert sum(1 for w in profile["weeks"] if w["incidents"]) == 3  # three different weeks

    jordan = profile["young_people"][0]["id"]
    network = (await client.get(f"/api/v1/young-people/{jordan}/network", headers=worker)).json()
    seen = {
        (c["person"]["nickname"], c["person"]["vehicle"]): c["incidents"]
        for c in network["persons_of_concern"]
    }
    assert seen[("Tee", None)] == 2
    car = next(c for c in network["persons_of_concern"] if c["person"]["vehicle"])
    assert car["incidents"] == 2 and "FY6" in car["person"]["vehicle"]
    assert [p["first_name"] for p in network["peers"]] == ["Kai"]

    # The takeaway's profile spreads over several weeks, for the coordinator of the hubs.
    coordinator = await _sign_in(client, "coordinator.hubs")
    takeaway = (
        await client.get(
            "/api/v1/places/suggestions", params={"q": "Narborough Road takeaway"}, headers=coordinator
        )
    ).json()["items"][0]
    shaped = (await client.get(f"/api/v1/places/{takeaway['id']}/profile", headers=coordinator)).json()
    assert shaped["incidents"] == 4
    assert sum(1 for w in shaped["weeks"] if w["incidents"]) == 4
    assert shaped["categories"]["cce"] == 4
    # The hub's strategy meeting about the station: its actions on the profile, once.
    station_profile = (
        await client.get(f"/api/v1/places/{station['id']}/profile", headers=coordinator)
    ).json()
    strategy = station_profile["strategy"]
    assert strategy["meetings"] == 1
    assert [a["kind"] for a in strategy["open_actions"]] == ["patrols", "work_with_venue", "outreach"]
    assert strategy["next_review"]["status"] == "open"

    police = await _sign_in(client, "custody.euston")
    assert (await client.get(f"/api/v1/places/{station['id']}/profile", headers=police)).status_code == 403
