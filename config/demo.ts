/**
 * The built-in demo default: what `portier run` uses without --config. Simulated hardware only,
 * so the Quick start shows the product on any machine.
 */
export const DEMO_TOML = `
# portier demo: simulated hardware, no PBX needed.
[audio]
capture = "tone:440"
playback = "null"

[panel]
listen = "127.0.0.1:8080"
login_link = true

[sip]
listen = "127.0.0.1:0"

[[buttons]]
id = "door"
driver = "sim"

[[relays]]
id = "door"
driver = "sim"
pulse_ms = 3000

[[inputs]]
id = "door-contact"
driver = "sim"

[demo]
flat = true

[[doors]]
relay = "door"
codes = ["1234"]
contact = "door-contact"
`;
