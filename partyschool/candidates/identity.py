"""Identity fields a Party file needs (身份证号, gender, birth date, 民族, phone): checked as the
national standard defines them, and shown in full only to whom the file is entrusted."""

import re
from datetime import date

from partyschool.accounts.models import Role, User

# GB 11643-1999: the check digit of a citizen identity number.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_DIGITS = "10X98765432"
GENDERS = {"male": "男", "female": "女"}
PHONE = re.compile(r"\+?[0-9][0-9-]{6,18}")


class IdentityError(ValueError):
    """An identity field is malformed; the message says how, in Chinese."""


def check_id_number(text: str) -> str:
    """The 18-character 身份证号, upper-cased, when its birth date and check digit are right."""
    number = text.strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        raise IdentityError("身份证号应为 18 位，前 17 位为数字，末位为数字或 X")
    try:
        birth_date_of(number)
    except ValueError:
        raise IdentityError("身份证号中的出生日期无效") from None
    expected = _CHECK_DIGITS[
        sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True)) % 11
    ]
    if number[17] != expected:
        raise IdentityError("身份证号校验位不正确，请核对")
    return number


def birth_date_of(number: str) -> date:
    """The birth date an identity number holds."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender_of(number: str) -> str:
    """The gender an identity number holds: its 17th digit is odd for men."""
    return "male" if int(number[16]) % 2 else "female"


def mask(number: str | None) -> str:
    """The number with its birth date and sequence hidden: 330302********123X."""
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def birth_year(born: date | None) -> str:
    """Only the year of a birth date, for whoever sees the 身份证号 masked: the full date would
    give back the digits the mask hides."""
    return f"{born.year}年" if born else ""


def mask_phone(phone: str | None) -> str:
    """A phone number with its middle digits hidden: 138****5678."""
    if not phone:
        return ""
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "****"


def may_see_identity(user: User, party_school_id: int) -> bool:
    """Only the organizers of the candidate's branch school and the school admin see the
    identity number and phone in full; everyone else (and every trainee) sees them masked."""
    if user.role is Role.SCHOOL_ADMIN:
        return True
    return user.role is Role.ORGANIZER and user.party_school_id == party_school_id
