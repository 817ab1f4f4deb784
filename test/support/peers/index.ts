/**
 * Peer lab for integration tests: Kamailio (registrar + proxy with digest auth),
 * baresip phones, sipp, tone checks. See lab.ts for the entry point.
 */
export { startLab, Lab, type LabOptions, type LabSippOptions } from './lab.js';
export { Phone, type PhoneOptions, type PhoneCodec, type AnswerMode } from './baresip.js';
export { type BaresipEvent, type BaresipResponse } from './baresip-ctrl.js';
export { Kamailio, makeSelfSignedCert, KAMAILIO_CFG, type LabTls, type Binding } from './kamailio.js';
export { SippRun, sippStep, parseSippScreen, SIPP_SCENARIO_DIR, type SippOptions, type SippResult, type SippStats, type SippStep } from './sipp.js';
export { toneSeconds, toneBlocks, goertzelRatio, wavSeconds } from './goertzel.js';
export { readWavMono, writeWav, sineSamples, wavInfo, type WavInfo } from './wav.js';
export { writeTonePcap, linearToUlaw, linearToAlaw } from './pcap.js';
export { phonePorts, sippPorts, kamailioPort, freePorts, busyPorts, assertPortsFree } from './ports.js';
export { LabError, waitFor, PeerProcess, processGroupMembers } from './proc.js';
export { startVirtualCard, VirtualCard, rawToSamples, CARD_RATE, type CardRecording, type VirtualCardOptions } from './virtual-card.js';
export { infoDtmfScenario, writeInfoDtmfScenario, type InfoDtmfScenarioOptions } from './sipp-scenarios.js';
