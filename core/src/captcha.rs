//! CAPTCHA challenges: the image and the spoken audio come from the
//! `captcha` crate and speak the same answer; an answer is good for one
//! try and a few minutes.
use std::io::Cursor;

use captcha::filters::{Dots, Noise, Wave};
use captcha::Captcha;
use rand::rngs::OsRng;
use rand::Rng;

use crate::sessions::{hash_token, new_token};
use crate::Core;
use gatehouse_store::{CaptchaMedia, StoreError, StoreResult};

/// The font's capitals and digits without look-alikes (no 0/O, 1/I/L).
const CHARS: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A new challenge: its id (for the page) is returned, its answer stored.
pub async fn create(state: &Core) -> StoreResult<String> {
    let answer = match &state.config.captcha.fixed_answer {
        Some(fixed) => fixed.to_uppercase(),
        None => (0..state.config.captcha.length)
            .map(|_| CHARS[OsRng.gen_range(0..CHARS.len())] as char)
            .collect(),
    };
    let id = new_token();
    let now = state.clock.unix();
    let expires_at = now + i64::from(state.config.captcha.lifetime_seconds);
    state
        .store
        .create_captcha(&hash_token(&id), &answer, expires_at, now)
        .await?;
    Ok(id)
}

/// Whether `given` answers the challenge `id`. The challenge is used up
/// either way.
pub async fn solve(state: &Core, id: &str, given: &str) -> StoreResult<bool> {
    let Some((answer, expires_at)) = state.store.take_captcha(&hash_token(id)).await? else {
        return Ok(false);
    };
    let given: String = given.split_whitespace().collect::<String>().to_uppercase();
    Ok(expires_at > state.clock.unix() && !given.is_empty() && given == answer)
}

/// A CAPTCHA holding exactly `answer`.
fn holding(answer: &str) -> Captcha {
    let mut c = Captcha::new();
    for ch in answer.chars() {
        c.set_chars(&[ch]).add_char();
    }
    c
}

fn drawn(answer: &str) -> Captcha {
    let mut c = holding(answer);
    c.apply_filter(Noise::new(0.3))
        .apply_filter(Wave::new(2.0, 12.0).horizontal())
        .apply_filter(Wave::new(2.0, 10.0).vertical())
        .view(220, 120)
        .apply_filter(Dots::new(12));
    c
}

pub fn png(answer: &str) -> Option<Vec<u8>> {
    drawn(answer).as_png()
}

/// One WAV: each character spoken (the crate adds noise to each), with
/// pauses of random length between them.
pub fn wav(answer: &str) -> Option<Vec<u8>> {
    let c = holding(answer);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = Cursor::new(Vec::new());
    {
        let mut writer = hound::WavWriter::new(&mut out, spec).ok()?;
        let pause = |writer: &mut hound::WavWriter<_>, seconds: f32| -> Option<()> {
            let n = (seconds * spec.sample_rate as f32) as usize;
            for _ in 0..n {
                writer.write_sample(OsRng.gen_range(-400_i16..400)).ok()?;
            }
            Some(())
        };
        pause(&mut writer, 0.4)?;
        for letter in c.as_wav() {
            let letter = letter?;
            let mut reader = hound::WavReader::new(letter.as_slice()).ok()?;
            for sample in reader.samples::<i16>() {
                writer.write_sample(sample.ok()?).ok()?;
            }
            pause(&mut writer, OsRng.gen_range(0.5..0.9))?;
        }
        writer.finalize().ok()?;
    }
    Some(out.into_inner())
}

/// Why a challenge's image or audio cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// No such challenge, or it has expired or been answered.
    #[error("no such CAPTCHA")]
    Gone,
    #[error("reading or keeping a CAPTCHA failed: {0}")]
    Store(#[from] StoreError),
    #[error("drawing a CAPTCHA failed")]
    Drawing,
}

/// The challenge's image or audio: drawn once, at its first request, and
/// the same bytes for every request after it (a challenge drawn again and
/// again would hand an attacker many noisy views of one answer to
/// average). Drawing is bounded by the challenges an address may start.
pub async fn media(state: &Core, id: &str, kind: CaptchaMedia) -> Result<Vec<u8>, MediaError> {
    let id_hash = hash_token(id);
    let answer = match state.store.captcha_answer(&id_hash).await? {
        Some((answer, expires_at)) if expires_at > state.clock.unix() => answer,
        _ => return Err(MediaError::Gone),
    };
    if let Some(kept) = state.store.captcha_media(&id_hash, kind).await? {
        return Ok(kept);
    }
    let draw = match kind {
        CaptchaMedia::Image => png,
        CaptchaMedia::Audio => wav,
    };
    let Ok(Some(drawn)) = tokio::task::spawn_blocking(move || draw(&answer)).await else {
        return Err(MediaError::Drawing);
    };
    state
        .store
        .keep_captcha_media(&id_hash, kind, &drawn)
        .await?
        .ok_or(MediaError::Gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_is_a_png_and_the_audio_a_wav_of_every_character() {
        let image = png("K7QF2").expect("png");
        assert_eq!(&image[1..4], b"PNG");
        let audio = wav("K7QF2").expect("wav");
        let reader = hound::WavReader::new(audio.as_slice()).expect("valid wav");
        // Five spoken letters and six pauses last well over two seconds.
        assert!(reader.duration() > 2 * 22050, "{}", reader.duration());
    }

    #[test]
    fn every_character_offered_can_be_drawn_and_spoken() {
        let all: String = CHARS.iter().map(|&b| b as char).collect();
        for chunk in all.as_bytes().chunks(8) {
            let s = std::str::from_utf8(chunk).unwrap_or_default();
            assert!(png(s).is_some(), "{s}");
            assert!(wav(s).is_some(), "{s}");
        }
    }
}
