from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from app.matching.models import INTERESTS, CareerStage
from app.validators import single_line

MAX_IMPORT_BYTES = 1024 * 1024
STAGE_CHOICES = [SelectChoice(stage.value, stage.label) for stage in CareerStage]
INTEREST_CHOICES = [SelectChoice(interest, interest.capitalize()) for interest in INTERESTS]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProfileForm(FlaskForm):
    specialty = StringField(
        "Specialty",
        validators=[
            DataRequired("Say which specialty you practise."),
            Length(max=120),
            single_line,
        ],
        description="For example: Internal medicine, Pediatrics, General surgery.",
    )
    career_stage = SelectField("Career stage", choices=STAGE_CHOICES)
    interests = MultiCheckboxField("What you like to help with", choices=INTEREST_CHOICES)
    capacity = IntegerField(
        "Capacity",
        default=2,
        validators=[
            InputRequired("Say how many mentees you can take, from 0 to 10."),
            NumberRange(0, 10, "Choose a number from 0 to 10."),
        ],
        description="How many mentees you can take at once (0 to 10; 0 pauses new matches).",
    )
    open_to_other_specialties = BooleanField("Welcome mentees from other specialties", default=True)


class MenteeForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Give the mentee's name."), Length(max=120), single_line]
    )
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired("Give the mentee's e-mail."),
            Email("This is not a valid e-mail address."),
            Length(max=254),
        ],
    )
    specialty = StringField(
        "Specialty",
        validators=[DataRequired("Give the mentee's specialty."), Length(max=120), single_line],
    )
    career_stage = SelectField("Career stage", choices=STAGE_CHOICES)
    interests = MultiCheckboxField("Interests", choices=INTEREST_CHOICES)


class MenteeImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        render_kw={"accept": ".csv,text/csv"},
        validators=[
            FileRequired("Choose a CSV file to import."),
            FileAllowed(["csv"], "Choose a .csv file (in a spreadsheet: Save as, CSV UTF-8)."),
            FileSize(MAX_IMPORT_BYTES, message="The file is larger than 1 MB."),
        ],
        description=(
            "Columns: name,email,specialty,career_stage,interests (interests separated by "
            "semicolons). Nothing is imported if any row has a problem."
        ),
    )


class MatchForm(FlaskForm):
    mentor_id = IntegerField(
        validators=[InputRequired("Choose a mentor."), NumberRange(1, 2**31 - 1)]
    )


class EndMatchForm(FlaskForm):
    reason = TextAreaField(
        "Why is it ending?",
        validators=[DataRequired("Say why the match ends."), Length(max=500)],
    )


class PeerMatchForm(FlaskForm):
    first = SelectField("First mentor", coerce=int, validate_choice=True)
    second = SelectField("Second mentor", coerce=int, validate_choice=True)
