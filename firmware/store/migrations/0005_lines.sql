-- Reserved for the line channels (docs/design/call-features.md, section 7). This file only
-- keeps the numbering without gaps until that part is merged; its own migration replaces it.
SELECT 1;
