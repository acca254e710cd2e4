-- A named prompt may have a recording per language (docs/inbound.md, "IVR trees"):
-- {"en": "uploads/welcome.en.wav", "zh": "uploads/welcome.zh.wav"}, each a WAV under
-- var/prompts. A caller's language plays its own recording first, then the prompt's
-- language-neutral file, then its text. '{}': none (every prompt before this).
ALTER TABLE prompts ADD COLUMN files TEXT NOT NULL DEFAULT '{}';
