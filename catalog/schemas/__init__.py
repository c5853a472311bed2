"""marshmallow schemas: the one validation boundary for API bodies, forms and harvested records."""
