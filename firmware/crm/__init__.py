"""The local CRM and records: customers, tickets, desk notes, surveys, access control,
number masking, audit, screen pop, import/export, call rating, retention and privacy.

Domain rules live here (state tables, normalisers, formats); storage lives in
``firmware.store`` (one module per aggregate); ``firmware.api_crm`` is the only
door the web UI uses. ``Crm`` (``firmware.crm.service``) ties them together.
"""
