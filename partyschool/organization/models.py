"""Party schools, colleges, districts, dormitories and student party branches."""

from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partyschool.extensions import db, enum_column


class SchoolKind(StrEnum):
    """What a party school serves."""

    SCHOOL = "school"
    DISTRICT = "district"
    GRADUATE = "graduate"

    @property
    def label(self) -> str:
        """The Chinese name of this kind."""
        return {"school": "校党校", "district": "学区分党校", "graduate": "研究生分党校"}[self]


class PartySchool(db.Model):
    """The school-level party school (校党校) or one of its branch schools (分党校)."""

    __tablename__ = "party_schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[SchoolKind] = mapped_column(enum_column(SchoolKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("party_schools.id"))
    is_active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped["PartySchool | None"] = relationship(remote_side=[id])

    @property
    def is_school_level(self) -> bool:
        """True for the school-level party school, whose people see every branch."""
        return self.parent_id is None

    def __str__(self) -> str:
        return self.name


class College(db.Model):
    """A college (学院) of the university."""

    __tablename__ = "colleges"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # The named building where the college posts its undergraduates' 公示 (学院楼栋, seed 000 §3).
    notice_building: Mapped[str] = mapped_column(String(100), default="", server_default="")


class District(db.Model):
    """A residential district (学区), taught by its own branch school."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"))

    party_school: Mapped[PartySchool] = relationship()


class Building(db.Model):
    """A dormitory building (楼栋) managed by one branch school."""

    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("party_school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))

    party_school: Mapped[PartySchool] = relationship()
    district: Mapped[District | None] = relationship()
    rooms: Mapped[list["Room"]] = relationship(back_populates="building", order_by="Room.number")


class Room(db.Model):
    """A dormitory room (寝室)."""

    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("building_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))
    number: Mapped[str] = mapped_column(String(16))

    building: Mapped[Building] = relationship(back_populates="rooms")

    def __str__(self) -> str:
        return f"{self.building.name} {self.number}"


class PartyBranch(db.Model):
    """A student party branch (学生党支部)."""

    __tablename__ = "party_branches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"))
    college_id: Mapped[int | None] = mapped_column(ForeignKey("colleges.id"))

    party_school: Mapped[PartySchool] = relationship()
    college: Mapped[College | None] = relationship()
