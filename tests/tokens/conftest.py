from __future__ import annotations

import pytest
from tokens_fixtures import real_documents, train_hf_tokenizer, train_sentencepiece


@pytest.fixture(scope="session")
def cc_documents(shared_data):
    return real_documents(shared_data)


@pytest.fixture(scope="session")
def hf_tokenizer_json(cc_documents, tmp_path_factory):
    path = tmp_path_factory.mktemp("hf") / "tokenizer.json"
    return train_hf_tokenizer([d["text"] for d in cc_documents[:300]], path)


@pytest.fixture(scope="session")
def sentencepiece_model(cc_documents, tmp_path_factory):
    prefix = tmp_path_factory.mktemp("spm") / "tiny"
    return train_sentencepiece([d["text"] for d in cc_documents[:300]], prefix)
