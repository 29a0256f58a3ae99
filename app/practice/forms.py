from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length

from app.practice.models import Rating

RATING_CHOICES = [SelectChoice(rating.value, rating.label.capitalize()) for rating in Rating]
RATE_IT = "Rate this criterion: not yet, meets or exceeds."


class ObservationForm(FlaskForm):
    """The fields every rubric has; `observation_form` adds one rating per criterion."""

    observed_on = DateField(
        "Date observed",
        validators=[InputRequired("Give the date of the conversation you observed.")],
        description="The day of the conversation (not in the future).",
    )
    comment = TextAreaField(
        "Comment for the mentor",
        validators=[Length(max=4000, message="Keep the comment under 4000 characters.")],
        description="One thing done well and one to work on; with a “not yet”, what you "
        "would want to see next time.",
    )

    def rating_fields(self) -> list[RadioField]:
        return [field for field in self if field.name.startswith("rating-")]

    def ratings(self) -> dict[str, str]:
        return {field.name.removeprefix("rating-"): field.data for field in self.rating_fields()}


def rating_field_name(criterion_id: str) -> str:
    return f"rating-{criterion_id}"


def observation_form(criteria: list[dict], **kwargs) -> ObservationForm:
    """The form for one rubric: a choice of not yet / meets / exceeds per criterion."""

    class RubricForm(ObservationForm):
        pass

    for criterion in criteria:
        setattr(
            RubricForm,
            rating_field_name(criterion["id"]),
            RadioField(
                criterion["name"],
                choices=RATING_CHOICES,
                validate_choice=False,  # AnyOf says it once, in words
                validators=[InputRequired(RATE_IT), AnyOf([r.value for r in Rating], RATE_IT)],
                description=criterion["description"],
            ),
        )
    return RubricForm(**kwargs)
