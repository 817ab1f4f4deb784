import { describe, expect, it } from 'vitest';
import { checkAudioSpec, checkGpioDriver, createButton, createCapture, createLed, createPlayback, createRelay, createInput } from '../../hal/registry.js';
import { AlsaCapture, AlsaPlayback } from '../../hal/audio/alsa.js';
import { GpiodButton, GpiodInput, GpiodLed, GpiodRelay } from '../../hal/gpio/gpiod.js';
import { systemClock } from '../../daemon/util/clock.js';

describe('registry: alsa and gpiod drivers', () => {
  it('alsa needs a device name and passes everything after "alsa:" to ALSA', () => {
    expect(checkAudioSpec('capture', 'alsa')).toMatch(/needs an argument: an ALSA device, e.g. alsa:default or alsa:plughw:1,0/);
    expect(checkAudioSpec('playback', 'alsa:plughw:CARD=Device,DEV=0')).toBeNull();
    const cap = createCapture('alsa:plughw:1,0', 16000);
    expect(cap).toBeInstanceOf(AlsaCapture);
    expect((cap as AlsaCapture).device).toBe('plughw:1,0');
    expect(cap.sampleRate).toBe(16000);
    const pb = createPlayback('alsa:default', 8000);
    expect(pb).toBeInstanceOf(AlsaPlayback);
    expect(pb.driver).toBe('alsa');
  });

  it('gpiod is a known GPIO driver and creates the four device kinds without I/O', () => {
    expect(checkGpioDriver('gpiod')).toBeNull();
    const ctx = { clock: systemClock };
    const line = { chip: 'gpiochip0', line: 17, active_low: true };
    expect(createButton({ id: 'b', driver: 'gpiod', ...line, bias: 'pull-up', debounce_ms: 30, long_press_ms: 2000 }, ctx)).toBeInstanceOf(GpiodButton);
    expect(createInput({ id: 'i', driver: 'gpiod', ...line, bias: 'as-is', debounce_ms: 30 }, ctx)).toBeInstanceOf(GpiodInput);
    const relay = createRelay({ id: 'r', driver: 'gpiod', ...line }, ctx);
    expect(relay).toBeInstanceOf(GpiodRelay);
    expect(relay.state).toBe('off');
    expect(createLed({ id: 'l', driver: 'gpiod', ...line }, ctx)).toBeInstanceOf(GpiodLed);
  });
});
