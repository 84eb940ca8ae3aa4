"""More trainees saving at once than the server has database connections: each save hands its
connection back before it waits for the group commit, so the commit's leader always finds one
and every save is acknowledged and stored."""

import random
import threading

import flask_migrate

from partyschool.app.factory import create_app
from partyschool.extensions import db
from tests.exams.test_fault import kit

SAVERS = 12


def test_savers_beyond_the_connection_pool_all_get_through(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "x" * 32,
            "SQLITE_SYNCHRONOUS": "NORMAL",
            # Two connections for twelve threads; a save that kept its own while waiting
            # would starve the leader, and every waiter would fail after the pool timeout.
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 2, "max_overflow": 0, "pool_timeout": 20},
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        setup = kit.populate_exam(db.session, SAVERS, questions=5)
        db.session.remove()
    acknowledged, failures, lock = {}, [], threading.Lock()
    barrier = threading.Barrier(SAVERS)

    def take(index):
        client = app.test_client()
        headers = {"Authorization": f"Bearer {setup.tokens[index]}"}
        state = client.post(f"/api/v1/exams/{setup.exam_id}/attempts", headers=headers).json
        rng = random.Random(index)
        barrier.wait()
        for question in state["questions"]:
            value = kit.a_response(question, rng)
            path = f"/api/v1/attempts/{state['attempt_id']}/answers/{question['question_id']}"
            reply = client.put(path, json={"response": value}, headers=headers)
            with lock:
                if reply.status_code == 200:
                    acknowledged[(state["attempt_id"], question["question_id"])] = value
                else:
                    failures.append((reply.status_code, reply.get_data(as_text=True)[:200]))

    threads = [threading.Thread(target=take, args=(i,)) for i in range(SAVERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(acknowledged) == SAVERS * 5
    with app.app_context():
        assert kit.lost(acknowledged, kit.stored(db.session, setup.exam_id)) == []
        db.engine.dispose()
