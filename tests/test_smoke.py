def test_healthz(env):
    r = env.client().get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_policies_for_insured(env):
    r = env.client("insured1").get("/api/v1/policies")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [p["number"] for p in items] == ["PQC2026330400001"]
