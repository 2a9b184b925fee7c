import torch

from mnist37.model import (accuracy, batch_accuracy, bce_loss, decide, init_params, linear1,
                           mnist_loss, sigmoid)


def test_init_params_is_seeded_and_scaled():
    g = torch.Generator().manual_seed(0)
    w = init_params((784, 1), 2.0, g)
    assert w.shape == (784, 1) and w.requires_grad
    assert torch.equal(w.detach(), torch.randn((784, 1), generator=torch.Generator().manual_seed(0)) * 2)


def test_linear1_is_xb_at_weights_plus_bias():
    xb = torch.rand(5, 784)
    w, b = torch.randn(784, 1), torch.randn(1)
    out = linear1(xb, w, b)
    assert out.shape == (5, 1)
    manual = torch.tensor([[sum(xb[i, j] * w[j, 0] for j in range(784)) + b[0]] for i in range(5)])
    torch.testing.assert_close(out, manual, rtol=1e-4, atol=1e-4)


def test_sigmoid_matches_torch():
    x = torch.linspace(-20, 20, 101)
    torch.testing.assert_close(sigmoid(x), torch.sigmoid(x))


def test_mnist_loss_is_the_lessons_example():
    # fastbook: trgts = [1,0,1], prds = [0.9, 0.4, 0.2] (after sigmoid) -> mean(0.1, 0.4, 0.8)
    trgts = torch.tensor([[1.0], [0.0], [1.0]])
    logits = torch.logit(torch.tensor([[0.9], [0.4], [0.2]]))
    assert abs(float(mnist_loss(logits, trgts)) - (0.1 + 0.4 + 0.8) / 3) < 1e-6


def test_gradients_match_autograd_of_the_formula():
    torch.manual_seed(1)
    xb, yb = torch.rand(16, 784), (torch.rand(16, 1) > 0.5).float()
    w = torch.randn(784, 1, requires_grad=True)
    b = torch.randn(1, requires_grad=True)
    mnist_loss(linear1(xb, w, b), yb).backward()
    # d/dw of mean(where(y, 1-s, s)) = mean(where(y, -1, 1) * s(1-s) * x)
    s = torch.sigmoid(xb @ w.detach() + b.detach())
    d = torch.where(yb == 1, -1.0, 1.0) * s * (1 - s) / len(xb)
    torch.testing.assert_close(w.grad, xb.T @ d, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(b.grad, d.sum(0), rtol=1e-5, atol=1e-7)


def test_bce_is_binary_cross_entropy_of_the_sigmoid():
    logits = torch.tensor([[2.0], [-1.0], [0.5]])
    y = torch.tensor([[1.0], [0.0], [0.0]])
    p = torch.sigmoid(logits)
    expected = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    torch.testing.assert_close(bce_loss(logits, y), expected)


def test_accuracy_and_threshold_rule():
    logits = torch.tensor([[3.0], [0.5], [-0.5], [-2.0]])
    y = torch.tensor([[1.0], [1.0], [0.0], [0.0]])
    assert float(batch_accuracy(logits, y)) == 1.0
    # the lesson's own rule, sigmoid > 0.5, is logit > 0
    assert torch.equal(batch_accuracy(logits, y), ((logits.sigmoid() > 0.5) == y).float().mean())
    assert accuracy(logits, y, threshold=1.0) == 0.75  # 0.5 is no longer above the threshold
    assert decide(0.1) == 3 and decide(-0.1) == 7 and decide(0.1, threshold=0.2) == 7
    assert decide(0.1, positive=7) == 7 and decide(-0.1, positive=7) == 3
