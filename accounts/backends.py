from accounts import selectors, services


class DynamoUserBackend:
    """Authenticates against the Users table (EmailIndex) and loads the session's user by key."""

    def authenticate(self, request, email=None, password=None, username=None, **kwargs):
        return services.user_authenticate(email=email or username or "", password=password or "")

    def get_user(self, user_id):
        user = selectors.user_get(user_id=user_id)
        return user if user and user.is_active else None
