from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.api.tokens import LABEL_MAX_LENGTH


class CreateTokenForm(FlaskForm):
    label = StringField(
        "Label",
        description="What the token is for, e.g. the matching system that will use it.",
        validators=[DataRequired("Give the token a label."), Length(max=LABEL_MAX_LENGTH)],
    )
