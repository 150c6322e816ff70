# truss: accept
# default: clean
# truss-profile: clean
# covers: nested pydantic models, an enum and an optional field inside a model (allowed there)
import enum
from typing import Optional

import pydantic

import truss_chains as chains


class Sentiment(str, enum.Enum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


class Span(pydantic.BaseModel):
    start: int
    end: int


class Analysis(pydantic.BaseModel):
    sentiment: Sentiment
    spans: list[Span]
    note: Optional[str] = None
    confidence: float = pydantic.Field(default=0.5, ge=0.0, le=1.0)


class Analyze(chains.ChainletBase):
    async def run_remote(self, text: str) -> Analysis:
        sentiment = Sentiment.POSITIVE if "good" in text else Sentiment.NEGATIVE
        return Analysis(sentiment=sentiment, spans=[Span(start=0, end=len(text))])
