"""Request templates: a reusable checklist with its message, due period and reminder plan."""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.fields import LongText
from chalicelib.models import InputModel, Omittable

MAX_DUE_IN_DAYS = 365


class ReminderPlan(InputModel):
    """When reminders go out: days before the due date, then every n days after it (0: none after)."""

    enabled: bool = False
    before_due_days: list[int] = Field(default_factory=list, max_length=10)
    every_days_after: int = Field(0, ge=0, le=90)

    @field_validator("before_due_days")
    @classmethod
    def _days(cls, days: list[int]) -> list[int]:
        if any(not 1 <= d <= MAX_DUE_IN_DAYS for d in days):
            raise ValueError("each between 1 and 365")
        return sorted(set(days), reverse=True)


class TemplateItem(InputModel):
    attribute_id: str = Field(min_length=1, max_length=64)
    required: bool = True
    help: str = Field("", max_length=1000)


class Template(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    name: str
    message: str = ""
    items: list[TemplateItem]
    due_in_days: int | None = None
    reminders: ReminderPlan = Field(default_factory=ReminderPlan)
    created_at: str
    updated_at: str


class NewTemplate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    message: LongText = ""
    items: list[TemplateItem] = Field(min_length=1, max_length=150)
    due_in_days: int | None = Field(None, ge=1, le=MAX_DUE_IN_DAYS)
    reminders: ReminderPlan = Field(default_factory=ReminderPlan)


class TemplateChanges(InputModel):
    name: Omittable[str] = Field(None, min_length=1, max_length=200)
    message: Omittable[LongText] = None
    items: Omittable[list[TemplateItem]] = Field(None, min_length=1, max_length=150)
    due_in_days: int | None = Field(None, ge=1, le=MAX_DUE_IN_DAYS)
    reminders: Omittable[ReminderPlan] = None
