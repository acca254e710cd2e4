-- Number 5 was reserved for the line channels (docs/lines.md). They needed no table:
-- line groups are built from callbox.toml at start, and a line call is an ordinary
-- CDR whose trunk names the span and timeslot (e1/1/5) or the port (fxo/1). The
-- number stays, empty, so that databases already at schema 5 or later stay in step.
SELECT 1;
