-- A CAPTCHA challenge is drawn once: the image and the audio as first
-- served, so every further request for the same challenge gets the same bytes.
ALTER TABLE captchas ADD COLUMN image BLOB;
ALTER TABLE captchas ADD COLUMN audio BLOB;
