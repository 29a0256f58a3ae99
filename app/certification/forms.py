from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Say why: it goes into the audit log."), Length(max=1000)],
        description="Recorded in the audit log with your name and the time.",
    )


class RecognitionForm(FlaskForm):
    shown = BooleanField("Show my name on the “recently certified” list on the home page")
