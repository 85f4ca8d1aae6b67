"""Each source system's native format: HubSpot and Stripe API objects, mail stores, files.

Builders and writers only: they know nothing of the demo world, so tests that hand-write
small exports speak the same shapes as the generator.
"""
