-- What a seat's phone shows for a call offered from this queue: a format with
-- {queue}, {name} (the caller's name, or number when there is none) and {number}.
-- '' shows the caller as they came in.
ALTER TABLE queues ADD COLUMN caller_display TEXT NOT NULL DEFAULT '{queue}: {name}';
