"""Build tools of the appliance image (``make image``; docs/image.md). Not part of the wheel."""
