"""A fake LearnFlow API answering as learnflow.md describes (shared by provider and Slack tests).

Enrollments follow the document's `POST /enrollments`: the body must carry `user_id` and
`course_id` (its example also has `payment_method_id`), the answer is 201 with the
enrollment. The document says nothing of repeats or of `Idempotency-Key`; the fake answers
a repeat 409 (as a REST API does for a resource that exists) and, like services that
support the header, replays the first answer to a request with a key it has seen.
"""

from __future__ import annotations

import json
import threading

import httpx

from providers.model import Learner

BASE_URL = "https://learnflow.test"
NOW = 1_705_312_790.0  # ten seconds before the document's X-RateLimit-Reset example, 10:00 UTC
LEARNER = Learner(team_id="T1", user_id="U1", email="ada@example.org", learnflow_user_id="usr_7f3d9a")

# The document's example course, plus a free one.
BOOTCAMP = {"id": "crs_8x92k1", "title": "Complete Web Development Bootcamp", "instructor": "Dr. John Smith",
            "category": "development", "level": "all", "price": {"amount": 49.99, "currency": "USD"},
            "rating": 4.9, "total_students": 12450}
INTRO = {"id": "crs_free01", "title": "Intro to Git", "instructor": "Ana Lima", "category": "development",
         "level": "beginner", "price": {"amount": 0, "currency": "USD"},
         "url": "https://learnflow.test/c/git"}


async def no_sleep(_seconds: float) -> None:
    pass


class FakeLearnFlow:
    """Bearer auth, token refresh, courses, enrollments and error bodies as the document shows them."""

    def __init__(self, courses=(BOOTCAMP, INTRO)):
        self.courses = list(courses)
        self.valid_tokens = {"at-current"}
        self.refresh_token = "rt-current"
        self.next_token = "at-renewed"
        self.next_refresh_token = None  # set when LearnFlow rotates refresh tokens
        self.expires_in = 3600
        self.enrolled: set[tuple[str, str]] = set()  # (user_id, course_id)
        self.enrollment_bodies: list[dict] = []
        self.idempotency_keys: list[str | None] = []  # one per enrollment POST
        self._replies: dict[str, dict] = {}  # first answer by idempotency key
        self.enroll_latency = 0.0  # seconds an enrollment answer takes, after enrolling
        self.release = threading.Event()  # set to end a slow answer early
        self.rate_headers: dict[str, str] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/v1/auth/refresh":
            return self._refresh(json.loads(request.content))
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.valid_tokens:
            return error(401, "invalid_token", "The access token provided is expired or invalid.")
        if request.method == "GET" and request.url.path == "/v1/courses":
            limit = int(request.url.params.get("limit", 20))
            return httpx.Response(200, headers=self.rate_headers, json={
                "data": self.courses[:limit],
                "meta": {"current_page": 1, "total_pages": 1, "total_items": len(self.courses)}})
        if request.method == "POST" and request.url.path == "/v1/enrollments":
            return self._enroll(request)
        return error(404, "not_found", "Resource does not exist")

    def _refresh(self, body):
        if body.get("refresh_token") != self.refresh_token:
            return error(401, "invalid_token", "The refresh token is invalid.")
        self.valid_tokens = {self.next_token}
        token = {"access_token": self.next_token, "token_type": "Bearer", "expires_in": self.expires_in}
        if self.next_refresh_token:
            token["refresh_token"] = self.next_refresh_token
        return httpx.Response(200, json=token)

    def _enroll(self, request):
        key = request.headers.get("idempotency-key")
        self.idempotency_keys.append(key)
        if key in self._replies:
            return httpx.Response(201, json=self._replies[key])
        try:
            body = json.loads(request.content)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("user_id") or not body.get("course_id"):
            return error(400, "invalid_request", "user_id and course_id are required")
        self.enrollment_bodies.append(body)
        user_id, course_id = str(body["user_id"]), str(body["course_id"])
        if course_id not in {c["id"] for c in self.courses}:
            return error(404, "not_found", "Course does not exist")
        if (user_id, course_id) in self.enrolled:
            return error(409, "already_enrolled", "User is already enrolled in this course")
        self.enrolled.add((user_id, course_id))
        enrollment = {"id": "enr_2m4p1z", "user_id": user_id, "course_id": course_id, "status": "active",
                      "progress": 0, "enrolled_at": "2024-01-15T09:30:00Z"}
        if key:
            self._replies[key] = enrollment
        if self.enroll_latency:
            self.release.wait(self.enroll_latency)
        return httpx.Response(201, json=enrollment)

    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]

    def bearers(self) -> list[str]:
        return [request.headers.get("authorization", "") for request in self.requests]


def error(status, code, message, request_id="req_9x2k1m", headers=None):
    body = {"error": {"code": code, "message": message, "request_id": request_id}}
    return httpx.Response(status, json=body, headers=headers)
