"""The baseline: a bare FastAPI endpoint taking a JSON body, served the same way as Lantern."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/readyz")
async def ready() -> dict[str, str]:
    return {"status": "ready"}


@app.post("/echo", status_code=201)
async def echo(body: dict) -> dict:
    return {"id": "x", "received": len(body)}
