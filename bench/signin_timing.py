"""CPU time of a failed sign-in by the state of the account (unknown number, own password, one-time
password, no password, disabled), through the real /login view at OWASP's argon2 parameters, counted
in the database as in the embedded default. Prints one JSON line: median CPU ms per state, the
largest/smallest ratio, and the CPU ms of a failed sign-in beyond its argon2 check (the counting).

    .venv/bin/python -m bench.signin_timing [tries]
"""
import json
import statistics
import sys
import tempfile
import time

from sqlmodel import Session, SQLModel


def main(tries: int = 15) -> dict:
    from app import create_app
    from config import TestConfig
    from models import Member
    from models.db import ALL_ORGS
    from services.accounts import passwords
    from tests.conftest import Factory, csrf_from

    folder = tempfile.mkdtemp(prefix="sc-signin-timing-")
    app = create_app(TestConfig(f"sqlite:///{folder}/t.db"))
    app.config.update(ARGON2_TIME_COST=2, ARGON2_MEMORY_KIB=19456)
    SQLModel.metadata.create_all(app.extensions["sc_engine"])
    with Session(app.extensions["sc_engine"], expire_on_commit=False) as s:
        s.info["org_scope"] = ALL_ORGS
        f = Factory(app, s)
        own = f.member(phone="13900000801")
        one_time = f.member(phone="13900000802", password=None, must_change=True)
        with app.app_context():
            one_time.password_hash = passwords.make_one_time_password()[1]
        s.add(one_time)
        none = f.member(phone="13900000803", password=None)
        disabled = f.member(phone="13900000804")
        s.get(Member, disabled.id).is_active = False
        s.commit()
        phones = {"unknown": "13900000899", "own_password": own.phone, "one_time_password": one_time.phone,
                  "no_password": none.phone, "disabled": disabled.phone}
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    costs = {name: [] for name in phones}
    for i in range(tries + 1):
        for k, (name, phone) in enumerate(phones.items()):
            started = time.process_time()
            client.post("/login", data={"phone": phone, "password": "wrong password 1", "csrf_token": token},
                        environ_overrides={"REMOTE_ADDR": f"10.{i}.{k}.1"})
            if i:
                costs[name].append((time.process_time() - started) * 1000)
    with app.app_context():
        digest = passwords.hash_password("x" * 12)
        argon = []
        for _ in range(tries):
            started = time.process_time()
            passwords.verify_password(digest, "wrong password 1")
            argon.append((time.process_time() - started) * 1000)
    medians = {name: round(statistics.median(v), 2) for name, v in costs.items()}
    return {"bench": "signin_timing", "tries": tries, "cpu_ms_median": medians,
            "max_over_min": round(max(medians.values()) / min(medians.values()), 3),
            "argon2_verify_cpu_ms": round(statistics.median(argon), 2),
            "beyond_argon2_cpu_ms": round(statistics.median(medians.values()) - statistics.median(argon), 2)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)))
