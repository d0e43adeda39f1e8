from rest_framework import authentication, exceptions

from accounts.services import api_token_user


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token ag_<user>_<secret>`; tokens are created on the profile page."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="ignore").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        user = api_token_user(token=header[1])
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return user, None

    def authenticate_header(self, request):
        return self.keyword
