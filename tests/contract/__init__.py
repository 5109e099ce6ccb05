"""Tests of the wire contract (shared.contract): envelopes and codecs."""
