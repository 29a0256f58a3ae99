from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

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


class EmptyForm(FlaskForm):
    """Buttons that only need the CSRF token (start an attempt, submit answers)."""
