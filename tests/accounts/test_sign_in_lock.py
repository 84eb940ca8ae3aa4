"""The per-account sign-in lock: counted in the database, whatever address the attempts come
from; generic answers; an administrator sees and clears it, and the trail keeps both."""

from datetime import timedelta

from sqlalchemy import select

from partyschool.accounts import locks
from partyschool.accounts.models import Role
from partyschool.audit import AuditEvent
from tests.factories import PASSWORD, make_user, reread

FAILURES = 10  # the default ACCOUNT_LOCK_FAILURES


def token_call(client, username, password, address):
    return client.raw.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_failures_from_many_addresses_lock_the_account_even_against_the_right_password(
    client, session
):
    make_user(session, username="target")
    make_user(session, username="bystander")
    session.commit()
    replies = [token_call(client, "target", "wrong-guess", f"10.0.0.{i}") for i in range(40)]
    assert {r.status_code for r in replies} == {401}
    # Every refusal reads the same: nothing tells the attacker the account is now locked.
    assert {r.get_json()["message"] for r in replies} == {"用户名或密码错误"}
    assert token_call(client, "target", PASSWORD, "10.9.9.9").status_code == 401
    page = client.login("target")
    assert page.status_code == 200 and "多次失败后账号会暂时锁定" in page.get_data(as_text=True)
    # Other accounts are not affected.
    assert token_call(client, "bystander", PASSWORD, "10.0.0.1").status_code == 201


def test_the_lock_ends_after_its_period_and_a_success_forgets_earlier_failures(client, session):
    user = make_user(session, username="forgetful")
    session.commit()
    for _ in range(FAILURES - 1):
        assert token_call(client, "forgetful", "nope", "10.0.0.1").status_code == 401
    assert token_call(client, "forgetful", PASSWORD, "10.0.0.1").status_code == 201
    lock = reread(session).scalar(
        select(locks.SignInLock).where(locks.SignInLock.user_id == user.id)
    )
    assert lock.failures == 0 and lock.locked_until is None

    for _ in range(FAILURES):
        token_call(client, "forgetful", "nope", "10.0.0.1")
    assert token_call(client, "forgetful", PASSWORD, "10.0.0.1").status_code == 401
    session = reread(session)
    lock = session.scalar(select(locks.SignInLock).where(locks.SignInLock.user_id == user.id))
    lock.locked_until -= timedelta(minutes=16)
    session.commit()
    assert token_call(client, "forgetful", PASSWORD, "10.0.0.1").status_code == 201


def test_an_admin_sees_and_clears_the_lock_and_the_trail_keeps_it(client, session, school):
    user = make_user(session, Role.ACTIVIST, school, username="lockedout")
    session.commit()
    for _ in range(FAILURES):
        token_call(client, "lockedout", "nope", "10.0.0.1")
    client.login("badmin")
    assert "登录锁定" in client.get("/admin/users").get_data(as_text=True)
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "已锁定" in page and "解除锁定" in page
    reply = client.post(f"/admin/users/{user.id}/unlock", follow_redirects=True)
    assert "已解除账号 lockedout 的登录锁定" in reply.get_data(as_text=True)
    assert "未锁定" in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert token_call(client, "lockedout", PASSWORD, "10.0.0.1").status_code == 201

    events = (
        reread(session)
        .scalars(
            select(AuditEvent)
            .where(AuditEvent.table_name == "sign_in_locks")
            .order_by(AuditEvent.id)
        )
        .all()
    )
    assert [e.reason for e in events][-1] == "管理员解除登录锁定"
    assert events[-1].actor.username == "badmin" and events[-1].after == {"locked_until": None}
    assert any("自动锁定" in (e.reason or "") for e in events)


def test_a_branch_admin_cannot_clear_another_branchs_lock(client, session, school):
    other = make_user(session, Role.ACTIVIST, username="elsewhere")
    session.commit()
    client.login("badmin")
    assert client.post(f"/admin/users/{other.id}/unlock").status_code == 404
