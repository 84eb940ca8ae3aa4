"""Every blueprint of the exams and their links in the navigation bar, for the application
factory to register (views modules never import one another)."""

from exams.attempts import api, views
from exams.banks import views as banks
from exams.marking import views as marking
from exams.papers import views as papers
from exams.results import views as results
from exams.schedule import views as schedule
from partyschool.accounts.models import TEACHING_STAFF, Role
from partyschool.web.navigation import add_nav

BLUEPRINTS = (views.bp, api.bp, banks.bp, papers.bp, schedule.bp, marking.bp, results.bp)

add_nav("考试管理", "exam_schedule.index", *TEACHING_STAFF)
add_nav("我的考试", "exams.mine", Role.ACTIVIST)
