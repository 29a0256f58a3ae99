from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange

MULTIPLIERS = [
    SelectChoice("1.25", "25% more time"),
    SelectChoice("1.5", "50% more time"),
    SelectChoice("2", "Double time"),
    SelectChoice("1", "Standard time"),
]


class AccommodationForm(FlaskForm):
    email = EmailField("Mentor's e-mail", validators=[DataRequired(), Email(), Length(max=254)])
    multiplier = SelectField("Extra time", choices=MULTIPLIERS, default="1.5")
    untimed = BooleanField("No time limit at all")
    note = StringField("Note (optional, seen by coordinators only)", validators=[Length(max=300)])


class AttemptGrantForm(FlaskForm):
    email = EmailField("Mentor's e-mail", validators=[DataRequired(), Email(), Length(max=254)])
    quiz = SelectField("Quiz", choices=[])
    extra = IntegerField(
        "Extra attempts",
        default=1,
        validators=[
            InputRequired("Give a number of attempts."),
            NumberRange(1, 5, "Give between 1 and 5 attempts."),
        ],
        render_kw={"inputmode": "numeric", "min": 1, "max": 5},
    )
    reason = TextAreaField(
        "Why (kept in the audit log)",
        validators=[DataRequired("Say why, for the audit log."), Length(max=500)],
        render_kw={"rows": 3},
    )


class EmptyForm(FlaskForm):
    """Buttons that only need the CSRF token (start an attempt, submit answers)."""
