"""The ``s3://`` backend (also ``s3a://``/``s3n://``, Hadoop's names for the same objects).

- Control calls (list, head, put, copy, delete) go through boto3, because botocore has
  *adaptive* retries: Common Crawl's bucket answers ``503 SlowDown`` under load, and a client
  that backs off and rate-limits itself keeps a thousand tasks from hammering it.
- Parquet streams go through pyarrow's S3FileSystem (:meth:`S3Backend.arrow`).
- Reads stream and resume after a dropped connection; Common Crawl's bucket is read through its
  HTTPS endpoint when no AWS credentials are found (:func:`.clients.public_https_url`).
- Leases use conditional puts (``If-None-Match: *`` / ``If-Match: <etag>``).
"""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, BinaryIO

from webcurate.io import clients, streams
from webcurate.io.fs import Lease
from webcurate.io.uris import dir_prefix, split_uri

if TYPE_CHECKING:
    from webcurate.io.storage import StorageConfig

LIST_PAGE_SIZE = 1000  # S3's maximum keys per ListObjectsV2 page
DELETE_BATCH = 1000  # S3's maximum keys per DeleteObjects call
_MISSING = ("404", "NoSuchKey", "NotFound")


class S3Backend:
    name = "s3"

    def __init__(self, storage: StorageConfig, bucket: str):
        self.storage, self.bucket = storage, bucket
        self.lease = S3Lease(self)

    @property
    def client(self):
        return clients.s3_client(self.storage, self.bucket)

    def head(self, uri: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=split_uri(uri)[2])
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise

    def _keys(self, key: str, recursive: bool = True, name_prefix: str = "") -> list[str]:
        """Every key under the directory ``key`` (markers included), page by page."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=dir_prefix(key) + name_prefix,
            Delimiter="" if recursive else "/", PaginationConfig={"PageSize": LIST_PAGE_SIZE})
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def open_input(self, uri: str) -> BinaryIO:
        _, bucket, key = split_uri(uri)
        mirror = clients.public_https_url(bucket, key, self.storage,
                                          clients.has_aws_credentials())
        if mirror:
            return streams.open_http(mirror, self.storage.max_attempts,
                                     self.storage.read_timeout_s)
        return streams.open_s3(self.client, bucket, key, self.storage.max_attempts)

    def read_bytes(self, uri: str) -> bytes:
        with self.open_input(uri) as stream:
            return stream.read()

    def write_bytes(self, uri: str, data: bytes) -> None:
        self.client.upload_fileobj(io.BytesIO(data), self.bucket, split_uri(uri)[2],
                                   Config=clients.transfer_config(self.storage))

    def exists(self, uri: str) -> bool:
        key = split_uri(uri)[2]
        if key.strip("/") and self.head(uri) is not None:
            return True
        listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix=dir_prefix(key),
                                              MaxKeys=1)
        return listing.get("KeyCount", 0) > 0

    def file_size(self, uri: str) -> int:
        head = self.head(uri)
        if head is None:
            raise FileNotFoundError(f"no such object: {uri}")
        return int(head["ContentLength"])

    def version(self, uri: str) -> str:
        """The object's ETag and size: an object rewritten under its key gets a new one."""
        head = self.head(uri)
        if head is None:
            raise FileNotFoundError(f"no such object: {uri}")
        return f"{head.get('ETag')}\n{head.get('ContentLength')}"

    def _uri(self, like: str, key: str) -> str:
        return f"{split_uri(like)[0]}://{self.bucket}/{key}"

    def list_files(self, uri: str, recursive: bool = True) -> list[str]:
        key = split_uri(uri)[2]
        found = [self._uri(uri, k) for k in self._keys(key, recursive) if not k.endswith("/")]
        if not found and key.strip("/") and self.head(uri) is not None:
            found = [uri]
        return sorted(found)

    def list_names_starting(self, directory: str, name_prefix: str) -> list[str]:
        """One listing of just the keys ``directory/name_prefix*``, so a writer that looks up
        its own batch's files costs requests in proportion to that batch."""
        keys = self._keys(split_uri(directory)[2], recursive=False, name_prefix=name_prefix)
        return sorted(self._uri(directory, k) for k in keys if not k.endswith("/"))

    def delete(self, uri: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=split_uri(uri)[2])

    def delete_many(self, uris: list[str]) -> None:
        """Batched DeleteObjects calls (1,000 keys each)."""
        keys = [split_uri(u)[2] for u in uris]
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": k} for k in keys[start:start + DELETE_BATCH]]
            response = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            if response.get("Errors"):
                first = response["Errors"][0]
                raise OSError(f"could not delete s3://{self.bucket}/{first.get('Key')}: "
                              f"{first.get('Code')} {first.get('Message')}")

    def delete_prefix(self, uri: str) -> None:
        key = split_uri(uri)[2]
        keys = [*self._keys(key), key]  # and an object named like the prefix
        self.delete_many([self._uri(uri, k) for k in keys])

    def makedirs(self, uri: str) -> None:
        """Object stores have no directories."""

    def copy(self, source: str, target: str) -> None:
        """Server-side (multipart above one chunk): the bytes never pass through this process."""
        _, src_bucket, src_key = split_uri(source)
        self.client.copy({"Bucket": src_bucket, "Key": src_key}, self.bucket,
                         split_uri(target)[2], Config=clients.transfer_config(self.storage))

    def arrow(self, uri: str):
        _, bucket, key = split_uri(uri)
        return clients.arrow_s3_filesystem(self.storage, bucket), f"{bucket}/{key}"

    def clear_uploads(self, prefix: str) -> None:
        """Abort unfinished multipart uploads under ``prefix``: a killed task's upload is
        invisible but kept (and billed) by S3 until someone aborts it."""
        from botocore.exceptions import ClientError

        client = self.client
        try:
            for page in client.get_paginator("list_multipart_uploads").paginate(
                    Bucket=self.bucket, Prefix=dir_prefix(split_uri(prefix)[2])):
                for upload in page.get("Uploads", []):
                    client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                  UploadId=upload["UploadId"])
        except ClientError:  # a store without ListMultipartUploads: its lifecycle rules must do it
            pass


class S3Lease:
    """Conditional puts, which S3 and S3-compatible stores answer with 412 when they fail."""

    def __init__(self, backend: S3Backend):
        self.backend = backend

    def _put(self, uri: str, data: bytes, also_failed: tuple[str, ...], **condition) -> str | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.backend.client.put_object(
                Bucket=self.backend.bucket, Key=split_uri(uri)[2], Body=data, **condition)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412",
                                                              *also_failed):
                return None
            raise
        return answer["ETag"]

    def create(self, uri: str, data: bytes) -> str | None:
        return self._put(uri, data, ("ConditionalRequestConflict",), IfNoneMatch="*")

    def read(self, uri: str) -> Lease | None:
        """The lease's body with the ETag and time of that very version, from one GET (a HEAD
        then a conditional GET failed with PreconditionFailed whenever the holder renewed the
        lease between the two: seen under load in CI)."""
        from botocore.exceptions import ClientError

        try:
            answer = self.backend.client.get_object(Bucket=self.backend.bucket,
                                                    Key=split_uri(uri)[2])
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        modified = answer.get("LastModified")
        return Lease(answer["Body"].read(), answer["ETag"],
                     modified.timestamp() if modified is not None else time.time())

    def replace(self, uri: str, data: bytes, token: str | None) -> str | None:
        return self._put(uri, data, _MISSING, IfMatch=token)

    def delete(self, uri: str) -> None:
        self.backend.delete(uri)


def s3_backend(scheme: str, netloc: str, storage: StorageConfig) -> S3Backend:
    return S3Backend(storage, netloc)
