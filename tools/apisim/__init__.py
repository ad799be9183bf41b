"""apisim: one local HTTP process standing in for Spotify, MusicBrainz, Last.fm, iTunes
Search and OpenAI-compatible LLM endpoints (Gemini, OpenAI, llama.cpp/Ollama style).

Modules: server (HTTP, prefixes, fault application, /_sim/ control), faults
(configuration, deterministic faults, rate limits), stats (counters), catalog,
traits and text (the catalog built from tools/gen_sample.py and fuzzy matching),
spotify, musicbrainz, lastfm, itunes, llm and answers (the providers), dump
(ground truth for coverage tests), det (hash-derived values), wire (requests,
responses, the provider interface). Standard library only. See docs/apisim.md.
"""
