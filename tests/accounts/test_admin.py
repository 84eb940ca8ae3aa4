"""Administrators manage accounts within their scope; the CLI creates accounts."""

from sqlalchemy import select

from partyschool.accounts.models import Role, User
from tests.factories import make_branch_school, make_user, reread, school_level


def _user(session, username):
    return reread(session).scalar(select(User).where(User.username == username))


def test_branch_admin_creates_an_instructor_in_their_branch(client, session):
    admin = make_user(session, Role.BRANCH_ADMIN, username="badmin")
    school_id = admin.party_school_id
    session.commit()
    client.login("badmin")
    form = {
        "username": "newteacher",
        "display_name": "赵老师",
        "role": "instructor",
        "party_school": school_id,
        "password": "teacher-pass-1",
    }
    assert client.post("/admin/users/new", form).status_code == 302
    created = _user(session, "newteacher")
    assert created.role is Role.INSTRUCTOR and created.party_school_id == school_id


def test_branch_admin_cannot_grant_admin_roles_or_other_branches(client, session):
    admin = make_user(session, Role.BRANCH_ADMIN, username="badmin")
    other = make_branch_school(session)
    session.commit()
    client.login("badmin")
    base = {"username": "x_user", "display_name": "某人", "password": "some-pass-1"}
    for role, school in (("school_admin", admin.party_school_id), ("instructor", other.id)):
        response = client.post("/admin/users/new", base | {"role": role, "party_school": school})
        assert response.status_code == 200
    assert _user(session, "x_user") is None


def test_school_admin_disables_an_account(app, client, session):
    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    target = make_user(session, Role.ORGANIZER, username="org1", display_name="组织员甲")
    session.commit()
    victim = type(client)(app)
    victim.login("org1")
    client.login("top")
    form = {
        "username": "org1",
        "display_name": "组织员甲",
        "role": "organizer",
        "party_school": target.party_school_id,
        "is_disabled": "y",
    }
    assert client.post(f"/admin/users/{target.id}", form).status_code == 302
    assert _user(session, "org1").is_disabled
    assert victim.get("/").status_code == 302  # their session ended


def test_admin_cannot_demote_themself(client, session):
    top = make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    session.commit()
    client.login("top")
    form = {"display_name": "x", "role": "activist", "party_school": top.party_school_id}
    response = client.post(f"/admin/users/{top.id}", form | {"username": "top"})
    assert "不能修改自己的角色" in response.get_data(as_text=True)
    assert _user(session, "top").role is Role.SCHOOL_ADMIN


def test_school_admin_creates_and_renames_a_branch_school(client, session):
    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    session.commit()
    client.login("top")
    new = {"code": "district4", "name": "第四学区分党校", "kind": "district", "is_active": "y"}
    assert client.post("/admin/schools/new", new).status_code == 302
    duplicate = client.post("/admin/schools/new", new | {"name": "重复"})
    assert "已被" in duplicate.get_data(as_text=True)
    assert "第四学区分党校" in client.get("/admin/schools/").get_data(as_text=True)


def test_cli_creates_a_user_from_stdin(app, session):
    school_level(session)
    make_branch_school(session, code="district1")
    session.commit()
    runner = app.test_cli_runner()
    args = ["users", "create", "cliuser", "--role", "organizer", "--branch", "district1"]
    result = runner.invoke(args=[*args, "--password-stdin"], input="cli-password-1\n")
    assert result.exit_code == 0, result.output
    user = _user(session, "cliuser")
    assert user.role is Role.ORGANIZER and user.party_school.code == "district1"
    again = runner.invoke(args=[*args, "--password-stdin"], input="cli-password-1\n")
    assert again.exit_code != 0 and "已存在" in again.output


def test_cli_refuses_unknown_branch_and_short_password(app, session):
    school_level(session)
    session.commit()
    runner = app.test_cli_runner()
    unknown = ["users", "create", "user1", "--role", "organizer", "--branch", "nowhere"]
    assert runner.invoke(args=[*unknown, "--password-stdin"], input="long-enough\n").exit_code
    short = ["users", "create", "user2", "--role", "organizer", "--password-stdin"]
    result = runner.invoke(args=short, input="short\n")
    assert result.exit_code != 0 and "至少" in result.output
