-- The calling party's category on an inbound MFC-R2 call (the group II signal the
-- caller sent, by the variant's name for it: national_subscriber, operator,
-- test_equipment ... see docs/r2.md). Empty for every other call. Number 9 is reserved by
-- a part built alongside (a gap is a migration this build does not have:
-- docs/design/call-features.md, section 7).
ALTER TABLE cdr ADD COLUMN category TEXT NOT NULL DEFAULT '';
