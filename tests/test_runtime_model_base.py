"""``chains.ModelBase``: a one-model deployment whose ``predict`` is served like a chainlet's
``run_remote``, at ``POST /predict`` and ``POST /run_remote``, by a real uvicorn on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import chains_runtime as chains
import pytest
from chains_runtime.model_base import is_model
from chains_runtime.protocol import END_FRAME


class Counter(chains.ModelBase):
    """Counts what it was asked to add (truss's reference model)."""

    remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys=["greeting"]))

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._count = 0
        self._greeting = context.secrets["greeting"]

    def predict(self, increment: int, label: str = "count") -> dict[str, object]:
        self._count += increment
        return {label: self._count, "greeting": self._greeting}


class Tokens(chains.ModelBase):
    async def predict(self, text: str) -> AsyncIterator[str]:
        for word in text.split():
            yield word


class Plain(chains.ModelBase):
    async def predict(self, x: float) -> float:
        return x * 2



def test_predict_is_served_at_predict_and_run_remote(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Counter, secrets={"greeting": "hi"})
    first = client.post("/predict", json={"increment": 2}, headers={"x-request-id": "r-1"})
    assert first.status_code == 200, first.text
    assert first.json() == {"count": 2, "greeting": "hi"}
    assert first.headers["x-request-id"] == "r-1"
    # One instance behind both paths: the state carries over.
    second = client.post("/run_remote", json={"increment": 3, "label": "n"})
    assert second.json() == {"n": 5, "greeting": "hi"}
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json() == {"status": "ready"}
    metrics = client.get("/metrics").text
    assert 'chains_requests_total{chainlet="Counter",status="200"} 2' in metrics


def test_predict_gets_the_checks_of_a_call(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Plain, api_key="k1", max_body_bytes=200)
    assert client.post("/predict", json={"x": 1}).status_code == 401
    auth = {"x-api-key": "k1"}
    ok = client.post("/predict", json={"x": 1.5}, headers=auth)
    assert (ok.status_code, ok.json()) == (200, 3.0)
    invalid = client.post("/predict", json={"y": 1}, headers=auth)
    assert invalid.status_code == 422
    assert "`x`" in invalid.json()["error"]["message"]
    text = client.post("/predict", content=b"x=1", headers={**auth, "content-type": "text/plain"})
    assert text.status_code == 415
    large = client.post("/predict", json={"x": 1, "pad": "a" * 300}, headers=auth)
    assert large.status_code == 413
    wrong_method = client.get("/predict")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    assert wrong_method.json()["error"]["message"] == "/predict accepts POST, not GET"


def test_a_streaming_predict_answers_ndjson(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Tokens)
    response = client.post("/predict", json={"text": "one two"})
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.content == b'{"data":"one"}\n{"data":"two"}\n' + END_FRAME


def test_the_openapi_document_lists_predict_first(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Plain)
    document = client.get("/openapi.json").json()
    assert list(document["paths"])[:2] == ["/predict", "/run_remote"]
    predict = document["paths"]["/predict"]["post"]
    assert predict["operationId"] == "predict"
    assert predict["summary"] == "Call Plain.predict"
    run_remote = document["paths"]["/run_remote"]["post"]
    assert predict["requestBody"] == run_remote["requestBody"]
    assert predict["responses"] == run_remote["responses"]
    assert client.get("/openapi.json").content == client.get("/openapi.json").content


def test_a_chainlet_has_no_predict_path(serve) -> None:  # type: ignore[no-untyped-def]
    class Chainlet(chains.ChainletBase):
        async def run_remote(self) -> int:
            return 1

    client = serve(Chainlet)
    assert client.post("/predict", json={}).status_code == 404
    assert "/predict" not in client.get("/openapi.json").json()["paths"]


def test_run_local_builds_a_model_with_its_context() -> None:
    with chains.run_local(secrets={"greeting": "hello"}):
        model = Counter()
    assert model.predict(increment=4) == {"count": 4, "greeting": "hello"}
    with chains.run_local():
        assert asyncio.run(Plain().predict(x=2)) == 4
    assert is_model(Counter) and not is_model(chains.ChainletBase)


def test_a_model_without_predict_is_refused_when_defined() -> None:
    with pytest.raises(chains.ChainsUsageError, match="model `NoPredict` has no `predict`"):

        class NoPredict(chains.ModelBase):
            async def run_remote(self, x: int) -> int:
                return x

    with pytest.raises(chains.ChainsUsageError, match="must be a method"):

        class NotAMethod(chains.ModelBase):
            predict = 3  # type: ignore[assignment]


def test_a_model_with_a_dependency_is_refused_when_defined() -> None:
    with pytest.raises(chains.ChainsUsageError, match="declares the dependency `helper`"):

        class WithDependency(chains.ModelBase):
            def __init__(self, helper: Plain = chains.depends(Plain)) -> None:
                self._helper = helper

            async def predict(self, x: float) -> float:
                return await self._helper.predict(x=x)


def test_model_base_is_abstract_and_exported_for_truss_chains() -> None:
    with pytest.raises(TypeError):
        chains.ModelBase()  # type: ignore[abstract]
    assert "ModelBase" in chains.__all__


def test_predict_refuses_hosts_the_server_does_not_answer(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Plain, allowed_hosts=("model.example",))
    evil = {"host": "rebind.example"}
    assert client.post("/predict", json={"x": 1}, headers=evil).status_code == 400
    assert client.get("/predict", headers=evil).status_code == 400
    ok = client.post("/predict", json={"x": 1}, headers={"host": "model.example"})
    assert ok.status_code == 200, ok.text
