from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.passwords import password_problem
from app.validators import single_line


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me signed in on this device")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])


class NewPasswordMixin:
    """A new password, checked against the rules and typed twice."""

    password = PasswordField(
        "New password",
        validators=[DataRequired()],
        description="At least 12 characters. A few unrelated words work well.",
    )
    confirm = PasswordField(
        "Type it again",
        validators=[DataRequired(), EqualTo("password", "The two passwords differ.")],
    )
    email_for_check = ""

    def validate_password(self, field) -> None:
        name = getattr(getattr(self, "name", None), "data", "") or ""
        if problem := password_problem(field.data or "", email=self.email_for_check, name=name):
            raise ValidationError(problem)


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=1024)]
    )


class ConfirmPasswordForm(FlaskForm):
    confirm_password = PasswordField("Your password", validators=[DataRequired(), Length(max=1024)])


class AcceptInviteForm(NewPasswordMixin, FlaskForm):
    name = StringField("Your full name", validators=[DataRequired(), Length(max=120), single_line])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InviteForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    roles = MultiCheckboxField("Roles", validators=[DataRequired("Choose at least one role.")])


class SignupForm(FlaskForm):
    email = EmailField("Work e-mail", validators=[DataRequired(), Email(), Length(max=254)])


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired("Type the code."), Length(max=40)],
        description="The 6 digits your authenticator app shows, or a recovery code.",
    )
