"""Dependencies the routes declare: the settings, the components built at start-up, and the
caller's tenant (API key; for the CDS Hooks services, the EHR's JWT when EHRs are trusted)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from scribeplugin.api.cds_auth import CdsAuthError, KeyServerError
from scribeplugin.api.errors import ApiError
from scribeplugin.api.security import LOCAL_TENANT
from scribeplugin.api.service import Service
from scribeplugin.codeset import CodeSet
from scribeplugin.config import Settings
from scribeplugin.pipeline import Pipeline
from scribeplugin.retrieval import Retriever
from scribeplugin.store import Store

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from SCRIBE_API_KEYS: 'Authorization: Bearer <key>'. Not needed "
    "when the server runs in development on a loopback address without keys.",
)


_cds_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="CdsHooksJwt",
    bearerFormat="JWT",
    description="With trusted EHRs configured (SCRIBE_CDS_EHRS): the EHR's JWT, signed with its "
    "private key, as the CDS Hooks spec describes (iss, aud = the endpoint's URL, exp, iat, "
    "jti). Without: an API key from SCRIBE_API_KEYS, as for the other routes.",
)


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _not_ready(service: Service) -> ApiError:
    reason = service.index_error or "The index is not loaded yet; retry in a few seconds."
    return ApiError(503, "index_not_ready", reason)


def get_retriever(request: Request) -> Retriever:
    """The retriever loaded at start-up; 503 with the fixing command while there is none."""
    service = get_service(request)
    if service.retriever is None:
        raise _not_ready(service)
    return service.retriever


def get_pipeline(request: Request) -> Pipeline:
    service = get_service(request)
    if service.pipeline is None:
        raise _not_ready(service)
    return service.pipeline


def get_codeset(request: Request) -> CodeSet:
    service = get_service(request)
    if service.codeset is None:
        raise ApiError(503, "unavailable", "The code set is still loading; retry shortly.")
    return service.codeset


def get_store(request: Request) -> Store:
    return get_service(request).store


def get_tenant(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str:
    """The tenant whose API key came with the request (401 without a valid one)."""
    service = get_service(request)
    if not service.keys.enabled:
        tenant = LOCAL_TENANT
    else:
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None:
            sent = request.headers.get("authorization")
            raise ApiError(
                401,
                "unauthorized",
                "Authorization header must be 'Bearer <API key>'"
                if sent
                else "missing API key: send 'Authorization: Bearer <key>'",
                headers=challenge,
            )
        found = service.keys.tenant_of(credentials.credentials)
        if found is None:
            raise ApiError(401, "unauthorized", "invalid API key", headers=challenge)
        tenant = found
    request.state.tenant = tenant
    return tenant


def get_cds_tenant(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_cds_bearer)],
) -> str:
    """The tenant of a CDS Hooks call: the trusted EHR whose JWT came with it (401 without a
    valid one, 503 while its keys cannot be had), or, when no EHR is configured, the API key's.
    Sync: fetching an EHR's keys blocks, so FastAPI runs it in its thread pool."""
    service = get_service(request)
    auth = service.cds_auth
    if not auth.enabled:
        return get_tenant(request, credentials)
    challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    if credentials is None:
        raise ApiError(
            401,
            "unauthorized",
            "missing JWT: the EHR must send 'Authorization: Bearer <JWT>' signed with its "
            "private key (CDS Hooks security)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        caller = auth.verify(credentials.credentials, cds_audiences(request, service))
    except CdsAuthError as exc:
        raise ApiError(401, "unauthorized", str(exc), headers=challenge) from None
    except KeyServerError as exc:
        raise ApiError(503, "unavailable", str(exc), headers={"Retry-After": "5"}) from None
    request.state.tenant = caller.tenant
    return caller.tenant


def cds_audiences(request: Request, service: Service) -> list[str]:
    """The ``aud`` a JWT may carry for this call: the URL of the endpoint called (behind a
    proxy, under SCRIBE_PUBLIC_URL); for a feedback endpoint, its service's URL too."""
    base = (service.settings.public_url or str(request.base_url)).rstrip("/")
    url = base + request.url.path
    if url.endswith("/feedback"):
        return [url, url.removesuffix("/feedback")]
    return [url]


ServiceDep = Annotated[Service, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RetrieverDep = Annotated[Retriever, Depends(get_retriever)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
CodeSetDep = Annotated[CodeSet, Depends(get_codeset)]
StoreDep = Annotated[Store, Depends(get_store)]
TenantDep = Annotated[str, Depends(get_tenant)]
CdsTenantDep = Annotated[str, Depends(get_cds_tenant)]
