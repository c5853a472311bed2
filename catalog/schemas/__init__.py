"""marshmallow schemas: the one validation boundary for API bodies, form posts and harvested records."""
