"""``chains.ModelBase``: a one-model deployment whose ``predict`` is served like a chainlet's
``run_remote``, at ``POST /predict`` and ``POST /run_remote``, by a real uvicorn on loopback."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator

import chains_runtime as chains
import httpx
import pytest
from chains_runtime.model_base import is_model
from chains_runtime.protocol import END_FRAME, JSON_CONTENT_TYPE, MSGPACK_CONTENT_TYPE
from chains_runtime.run.inputs import InputError, parse_input
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

JSON = {"content-type": JSON_CONTENT_TYPE}
MSGPACK = {"content-type": MSGPACK_CONTENT_TYPE}


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


# What a model's caller is told names `predict`, as its author wrote it #################


class Unsendable(chains.ModelBase):
    async def predict(self, x: float) -> object:
        return x * math.inf if x else object()  # neither JSON nor MessagePack can send it


class Sleeper(chains.ModelBase):
    async def predict(self) -> None:
        await asyncio.Event().wait()  # until the deadline cancels it


class SocketModel(chains.ModelBase):
    async def predict(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.send_text("hi")


class Doubler(chains.ChainletBase):
    async def run_remote(self, x: float) -> float:
        return x * 2


def _message(response: httpx.Response) -> str:
    message = response.json()["error"]["message"]
    assert isinstance(message, str)
    return message


def test_a_bad_predict_call_names_predict_and_the_parameter(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Plain)
    for path in ("/predict", "/run_remote"):  # one endpoint: the author wrote `predict`
        wrong_type = client.post(path, json={"x": "many"})
        assert wrong_type.status_code == 422
        message = _message(wrong_type)
        assert message.startswith("invalid predict arguments: argument `x`: "), message
        assert "run_remote" not in message
    missing = _message(client.post("/predict", json={}))
    assert missing == "invalid predict arguments: argument `x`: Field required"
    not_finite = client.post("/predict", content=b'{"x": NaN}', headers=JSON)
    assert not_finite.status_code == 422
    assert _message(not_finite).startswith("invalid predict arguments: the request holds ")
    not_msgpack = client.post("/predict", content=b"\xc1", headers=MSGPACK)
    assert not_msgpack.status_code == 422
    assert _message(not_msgpack).startswith("invalid predict arguments: the body is ")


def test_what_a_model_cannot_finish_names_predict(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Unsendable)
    no_time = client.post("/predict", json={"x": 1}, headers={"x-chains-deadline-ms": "0"})
    assert no_time.status_code == 504
    assert _message(no_time) == (
        "the call arrived with no time left in its budget; predict was not started"
    )
    late = serve(Sleeper).post("/predict", json={}, headers={"x-chains-deadline-ms": "50"})
    assert late.status_code == 504
    assert _message(late) == (
        "the call's deadline (0.05 s from its arrival) passed before predict finished; it was "
        "cancelled"
    )
    infinite = client.post("/predict", json={"x": 1})
    assert infinite.status_code == 500
    assert _message(infinite).startswith("the result of predict contains the float Infinity")
    binary = client.post("/predict", json={"x": 0}, headers={"accept": MSGPACK_CONTENT_TYPE})
    assert binary.status_code == 500
    assert _message(binary).startswith("the result of predict cannot be encoded as MessagePack")


def test_options_on_predict_names_predict(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Plain)
    preflight = client.options("/predict", headers={"origin": "https://app.example"})
    assert preflight.status_code == 405
    assert preflight.headers["allow"] == "POST"
    assert _message(preflight) == "/predict accepts POST, not OPTIONS"
    # With origins configured, the same request is a preflight, answered as for /run_remote.
    cors = serve(Plain, cors_origins=("https://app.example",))
    allowed = cors.options(
        "/predict",
        headers={"origin": "https://app.example", "access-control-request-method": "POST"},
    )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"


def test_a_websocket_to_a_model_is_told_to_post_to_predict(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Plain)
    uri = str(client.base_url).replace("http://", "ws://") + "/websocket"
    with pytest.raises(InvalidStatus) as caught, connect(uri, open_timeout=10, close_timeout=5):
        pass
    response = caught.value.response
    assert response.status_code == 404
    error = json.loads(response.body or b"{}")["error"]
    assert error["message"] == (
        "`Plain` serves no websocket: its predict is called with POST /predict"
    )
    socket_model = serve(SocketModel)
    posted = socket_model.post("/predict", json={})
    assert posted.status_code == 422
    assert (
        "`SocketModel.predict` takes a websocket: connect a websocket client to /websocket "
        "instead of calling POST /predict"
    ) in _message(posted)


def test_a_models_openapi_describes_predict(serve) -> None:  # type: ignore[no-untyped-def]
    document = serve(Plain).get("/openapi.json").json()
    for path in ("/predict", "/run_remote"):
        operation = document["paths"][path]["post"]
        assert "`predict`" in operation["responses"]["422"]["description"]
        assert "`predict`" in operation["responses"]["500"]["description"]
        assert operation["requestBody"]["description"].startswith("The `predict` arguments")
        assert "run_remote" not in json.dumps(operation["responses"])


def test_chains_run_input_for_a_model_names_predict() -> None:
    with pytest.raises(InputError) as caught:
        parse_input('{"y": 1}', "--input", Plain)
    message = str(caught.value)
    assert message.startswith("--input does not fit `Plain.predict`: argument `x`: Field required")
    with pytest.raises(InputError, match=r"a JSON object of `Plain\.predict` arguments"):
        parse_input("[1]", "--input", Plain)


def test_a_chainlet_still_says_run_remote(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Doubler)
    invalid = client.post("/run_remote", json={"x": "many"})
    assert invalid.status_code == 422
    assert _message(invalid).startswith("invalid run_remote arguments: argument `x`: ")
    preflight = client.options("/run_remote")
    assert preflight.status_code == 405
    assert _message(preflight) == "/run_remote accepts POST, not OPTIONS"
    no_time = client.post("/run_remote", json={"x": 1}, headers={"x-chains-deadline-ms": "0"})
    assert _message(no_time).endswith("run_remote was not started")
    operation = client.get("/openapi.json").json()["paths"]["/run_remote"]["post"]
    assert "`run_remote`" in operation["responses"]["422"]["description"]
    with pytest.raises(InputError, match=r"does not fit `Doubler\.run_remote`: argument `x`"):
        parse_input("{}", "--input", Doubler)
