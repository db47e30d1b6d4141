"""Sign-in pages (password, second factor, enrolment) and a user's own account pages."""

from __future__ import annotations

from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/verify/", views.second_factor_page, name="login-verify"),
    path("login/enrol/", views.second_factor_enrol_page, name="login-enrol"),
    path("account/", views.account_page, name="account"),
    path("account/password/", views.password_change_page, name="password-change"),
    path("account/recovery-codes/", views.recovery_codes_page, name="recovery-codes"),
]
