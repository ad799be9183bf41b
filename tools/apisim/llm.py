"""OpenAI-compatible LLM endpoints in three dialects: /llm (llama.cpp/Ollama style),
/gemini (Gemini's compatibility endpoint, Google error shapes) and /openai.

Paths: {base}/chat/completions, {base}/embeddings and {base}/models, with base
/v1 (llm, openai) or /v1beta/openai (gemini). A Bearer key is required (the
configured llm.api_key, default sim-gemini-key; Gemini also takes
x-goog-api-key or ?key=). Rate limits (off by default) answer 429 in the
dialect's shape: Gemini with a RetryInfo retryDelay in the body, no Retry-After
header, every other time wrapped in a JSON array; OpenAI and llm with a
Retry-After header. Content is produced by answers.py.
"""

import base64
import math
import struct
import time

from . import answers, det, wire
from .faults import COMMON_KINDS, PROVIDER_KINDS

DIALECTS = ("llm", "gemini", "openai")
BASE = {"llm": "/v1", "gemini": "/v1beta/openai", "openai": "/v1"}
GEMINI_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
OPENAI_TYPE = {400: ("invalid_request_error", None), 401: ("invalid_request_error",
                                                           "invalid_api_key"),
               404: ("invalid_request_error", "model_not_found"),
               429: ("requests", "rate_limit_exceeded"), 500: ("server_error", None),
               503: ("server_error", "server_is_overloaded")}
LLM_TYPE = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
            429: "rate_limit_error", 500: "server_error", 503: "unavailable_error"}
MESSAGES = {401: "API key not valid. Please pass a valid API key.",
            429: "Resource has been exhausted (e.g. check quota).",
            500: "An internal error has occurred. Please retry or report in "
                 "https://developers.generativeai.google/guide/troubleshooting",
            503: "The model is overloaded. Please try again later."}
MODELS = {"llm": ("llama3.2:3b", "nomic-embed-text"),
          "gemini": ("gemini-2.5-flash", "gemini-embedding-001"),
          "openai": ("gpt-4o-mini", "text-embedding-3-small")}
ROLES = ("system", "developer", "user", "assistant", "tool")
THINKING = {None: (150, 250), "low": (60, 100), "medium": (200, 300), "high": (400, 500),
            "none": (0, 0)}


class Llm(wire.Provider):
    def __init__(self, sim, dialect):
        self.sim = sim
        self.dialect = self.name = self.prefix = self.limit = dialect
        self.kinds = PROVIDER_KINDS[dialect]
        self.reader = sim.reader

    def route(self, method, path):
        base = BASE[self.dialect]
        table = {("POST", base + "/chat/completions"): ("POST /chat/completions", self.chat),
                 ("POST", base + "/embeddings"): ("POST /embeddings", self.embeddings),
                 ("GET", base + "/models"): ("GET /models", self.models)}
        found = table.get((method, path.rstrip("/")))
        if not found:
            return None
        return found[0], lambda req, ctx: self.authorized(req, ctx, found[1])

    def fault_kinds(self, endpoint):
        if endpoint == "POST /chat/completions":
            return self.kinds
        return COMMON_KINDS + ("429_daily",)

    def not_found(self, req):
        return self.error(404, "Not found: %s %s" % (req.method, req.path))

    # --- errors in the dialect's shape ---

    def error(self, status, message, headers=None, tag=0, daily=False, retry=None):
        if self.dialect == "gemini":
            err = {"code": status, "message": message, "status": GEMINI_STATUS.get(status,
                                                                                  "UNKNOWN")}
            if status == 429:
                err["details"] = self.quota_details(daily, retry)
            body = [{"error": err}] if status == 429 and tag % 2 else {"error": err}
            return wire.json_response(status, body, headers)
        if self.dialect == "openai":
            kind, code = OPENAI_TYPE.get(status, ("invalid_request_error", None))
            if daily:
                kind = code = "insufficient_quota"
            return wire.json_response(status, {"error": {"message": message, "type": kind,
                                                         "param": None, "code": code}}, headers)
        return wire.json_response(status, {"error": {"code": status, "message": message,
                                                     "type": LLM_TYPE.get(status,
                                                                          "server_error")}},
                                  headers)

    def quota_details(self, daily, retry):
        period = "PerDay" if daily else "PerMinute"
        return [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                "quotaMetric": "generativelanguage.googleapis.com/"
                               "generate_content_free_tier_requests",
                "quotaId": "GenerateRequests%sPerProjectPerModel-FreeTier" % period,
                "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                "quotaValue": "250" if daily else "10"}]},
            {"@type": "type.googleapis.com/google.rpc.Help", "links": [{
                "description": "Learn more about Gemini API quotas",
                "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "%ds" % retry},
        ]

    def too_many(self, wait, tag, daily=False):
        secs = max(1, int(math.ceil(wait)))
        if self.dialect == "gemini":
            return self.error(429, MESSAGES[429], tag=tag, daily=daily, retry=secs)
        msg = ("You exceeded your current quota, please check your plan and billing details."
               if daily else "Rate limit reached for requests. Please try again in %ds." % secs)
        headers = [] if daily else [("Retry-After", str(secs)),
                                    ("x-ratelimit-limit-requests", "60"),
                                    ("x-ratelimit-remaining-requests", "0"),
                                    ("x-ratelimit-reset-requests", "%ds" % secs)]
        return self.error(429, msg, headers, daily=daily)

    def fault(self, kind, req, tag):
        if kind == "502":
            return wire.html_502()
        if kind in ("429", "429_daily"):
            return self.too_many(self.sim.faults.config()["retry_after_seconds"], tag,
                                 daily=kind == "429_daily")
        return self.error(int(kind), MESSAGES[int(kind)])

    def rate_limited(self, req, wait, tag):
        return self.too_many(wait, tag)

    def authorized(self, req, ctx, handler):
        key = ctx.cfg["llm"]["api_key"]
        auth = req.header("Authorization")
        given = auth[7:].strip() if auth.startswith("Bearer ") else ""
        if self.dialect == "gemini":
            given = given or req.header("x-goog-api-key") or req.params.get("key", "")
        if given != key:
            return self.error(401, MESSAGES[401] if self.dialect == "gemini" else
                              "Incorrect API key provided.")
        return handler(req, ctx)

    # --- endpoints ---

    def body(self, req):
        """(object, None) or (None, error response) for a JSON object body."""
        try:
            doc = req.json()
        except ValueError:
            return None, self.error(400, "Invalid JSON payload received.")
        if not isinstance(doc, dict):
            return None, self.error(400, "Request body must be a JSON object.")
        model = doc.get("model")
        if not isinstance(model, str) or not model:
            return None, self.error(400, "model is required")
        known = {"gemini": ("gemini-", "models/gemini-", "text-embedding-"),
                 "openai": ("gpt-", "o1", "o3", "o4", "chatgpt-", "text-embedding-")}
        if self.dialect in known and not model.startswith(known[self.dialect]):
            return None, self.error(404, "models/%s is not found for API version v1beta, or is "
                                         "not supported." % model if self.dialect == "gemini"
                                    else "The model `%s` does not exist." % model)
        return doc, None

    def chat_problem(self, doc):
        msgs = doc.get("messages")
        if not isinstance(msgs, list) or not msgs:
            return "messages must be a non-empty array"
        for i, m in enumerate(msgs):
            if not isinstance(m, dict) or m.get("role") not in ROLES:
                return "messages[%d].role must be one of %s" % (i, ", ".join(ROLES))
            if not isinstance(m.get("content"), (str, list)):
                return "messages[%d].content must be a string or an array of parts" % i
        t = doc.get("temperature", 1.0)
        if not isinstance(t, (int, float)) or isinstance(t, bool) or not 0 <= t <= 2:
            return "temperature must be a number in 0..2"
        mt = doc.get("max_tokens", doc.get("max_completion_tokens"))
        if mt is not None and (not isinstance(mt, int) or isinstance(mt, bool) or mt < 1):
            return "max_tokens must be a positive integer"
        rf = doc.get("response_format")
        if rf is not None:
            if not isinstance(rf, dict) or rf.get("type") not in ("text", "json_object",
                                                                    "json_schema"):
                return "response_format.type must be text, json_object or json_schema"
            js = rf.get("json_schema")
            if rf["type"] == "json_schema" and (not isinstance(js, dict)
                                                or not isinstance(js.get("schema"), dict)):
                return "response_format.json_schema.schema is required"
        if doc.get("stream"):
            return "stream is not supported by apisim"
        effort = doc.get("reasoning_effort")
        if effort is not None and effort not in ("none", "low", "medium", "high"):
            return "reasoning_effort must be none, low, medium or high"
        return None

    def chat(self, req, ctx):
        doc, bad = self.body(req)
        if bad:
            return bad
        problem = self.chat_problem(doc)
        if problem:
            return self.error(400, problem)
        rf = doc.get("response_format")
        json_mode = isinstance(rf, dict) and rf.get("type") in ("json_object", "json_schema")
        prompt = answers.Prompt(doc["messages"], rf)
        if prompt.kind == "recommend":
            obj = self.reader.songs(prompt)
        elif prompt.kind == "analysis":
            obj = self.reader.analysis(prompt)
        else:
            obj = answers.other_answer(prompt, json_mode)
        content, finish = answers.render(obj, json_mode, ctx.content_fault)
        thinking = 0
        if self.dialect == "gemini":
            lo, span = THINKING.get(doc.get("reasoning_effort"), THINKING[None])
            thinking = lo + (det.h64(prompt.digest, "thinking") % span if span else 0)
        budget = doc.get("max_tokens", doc.get("max_completion_tokens"))
        if budget is not None and thinking + answers.count_tokens(content) > budget:
            content = content[:max(0, (budget - thinking) * 4)]
            finish = "length"
        prompt_tokens = sum(4 + answers.count_tokens(answers.message_text(m.get("content")))
                            for m in doc["messages"])
        completion = answers.count_tokens(content)
        self.sim.stats.count(self.name, "prompt_tokens", prompt_tokens)
        self.sim.stats.count(self.name, "completion_tokens", completion + thinking)
        return wire.json_response(200, {
            "id": "chatcmpl-" + det.b62(24, prompt.digest, ctx.tag),
            "object": "chat.completion", "created": int(time.time()), "model": doc["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
                      "total_tokens": prompt_tokens + completion + thinking}})

    def embeddings(self, req, ctx):
        doc, bad = self.body(req)
        if bad:
            return bad
        inputs = doc.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or len(inputs) > 2048 or \
                not all(isinstance(s, str) and s for s in inputs):
            return self.error(400, "input must be a non-empty string or an array of 1..2048 "
                                   "non-empty strings")
        dims = doc.get("dimensions", 768)
        if not isinstance(dims, int) or isinstance(dims, bool) or not 1 <= dims <= 3072:
            return self.error(400, "dimensions must be an integer in 1..3072")
        fmt = doc.get("encoding_format", "float")
        if fmt not in ("float", "base64"):
            return self.error(400, "encoding_format must be float or base64")
        data = []
        for i, s in enumerate(inputs):
            vec = answers.embed(s, dims)
            if fmt == "base64":
                vec = base64.b64encode(struct.pack("<%df" % dims, *vec)).decode("ascii")
            data.append({"object": "embedding", "index": i, "embedding": vec})
        tokens = sum(answers.count_tokens(s) for s in inputs)
        self.sim.stats.count(self.name, "embedded_texts", len(inputs))
        return wire.json_response(200, {"object": "list", "data": data, "model": doc["model"],
                                        "usage": {"prompt_tokens": tokens,
                                                  "total_tokens": tokens}})

    def models(self, req, ctx):
        chat, emb = MODELS[self.dialect]
        return wire.json_response(200, {"object": "list", "data": [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "apisim"}
            for m in (chat, emb)]})
