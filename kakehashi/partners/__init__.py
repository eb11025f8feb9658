"""Partner-hub exchange: hubs, desk bookings and joint events."""
