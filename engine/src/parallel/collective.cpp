#include "parallel/collective.h"

#include <chrono>
#include <cstdlib>

#ifdef DISTILL_HAVE_C10D
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace distill {

namespace {

torch::Tensor flattened(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  flat.reserve(tensors.size());
  for (const auto& t : tensors) flat.push_back(t.reshape({-1}));
  return torch::cat(flat);
}

void scatterBack(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors) {
  int64_t offset = 0;
  for (const auto& t : tensors) {
    const int64_t n = t.numel();
    torch::NoGradGuard noGrad;  // parameters are written in place
    t.copy_(flat.slice(0, offset, offset + n).view(t.sizes()));
    offset += n;
  }
}

}  // namespace

void Collective::sum(const std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return;
  auto flat = flattened(tensors);
  sumInPlace(flat);
  scatterBack(flat, tensors);
}

void Collective::broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  if (tensors.empty()) return;
  auto flat = flattened(tensors);
  broadcastInPlace(flat, root);
  scatterBack(flat, tensors);
}

#ifdef DISTILL_HAVE_C10D

namespace {

std::string firstLine(const std::exception& e) {
  std::string what = e.what();
  if (auto* c10error = dynamic_cast<const c10::Error*>(&e)) what = c10error->what_without_backtrace();
  return what.substr(0, what.find('\n'));
}

class GlooCollective : public Collective {
public:
  GlooCollective(const DistributedOptions& options, const std::function<void(int)>& onListening)
      : m_rank(options.rank), m_world(options.worldSize), m_timeoutSeconds(options.timeoutSeconds) {
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeoutSeconds * 1000.0));
    const std::string where = options.masterAddr + ":" + std::to_string(options.masterPort);
    try {
      c10d::TCPStoreOptions storeOptions;
      storeOptions.port = static_cast<std::uint16_t>(options.masterPort);
      storeOptions.isServer = options.rank == 0 && !options.agentStore;
      storeOptions.waitWorkers = false;  // local workers start only once the port is known
      storeOptions.timeout = timeout;
      auto tcp = c10::make_intrusive<c10d::TCPStore>(options.masterAddr, storeOptions);
      if (onListening) onListening(tcp->getPort());
      // Our own key space: torchrun's agent store holds keys of its own.
      m_store = c10::make_intrusive<c10d::PrefixStore>("distill", tcp);
      auto glooOptions = c10d::ProcessGroupGloo::Options::create();
      glooOptions->devices.push_back(glooDevice(options));
      glooOptions->timeout = timeout;
      m_group = c10::make_intrusive<c10d::ProcessGroupGloo>(m_store, m_rank, m_world, glooOptions);
    } catch (const EngineError&) {
      throw;  // ours already says what went wrong (e.g. a worker that could not be started)
    } catch (const std::exception& e) {
      throw RankLostError("rank " + std::to_string(m_rank) + " of " + std::to_string(m_world) +
                          ": could not meet the other ranks at " + where + " within " + seconds() + ": " +
                          firstLine(e));
    }
  }

  int rank() const override { return m_rank; }
  int worldSize() const override { return m_world; }

  void sumInPlace(torch::Tensor& flat) override {
    std::vector<at::Tensor> tensors = {flat};
    guarded("an all-reduce", [&] { m_group->allreduce(tensors)->wait(); });
  }

  void broadcastInPlace(torch::Tensor& flat, int root) override {
    std::vector<at::Tensor> tensors = {flat};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    guarded("a broadcast", [&] { m_group->broadcast(tensors, options)->wait(); });
  }

  void publish(const std::string& key, const std::string& value) override {
    guarded("publishing " + key,
            [&] { m_store->set(key, std::vector<uint8_t>(value.begin(), value.end())); });
  }

  std::string fetch(const std::string& key) override {
    std::vector<uint8_t> value;
    guarded("waiting for rank 0's " + key, [&] { value = m_store->get(key); });
    return std::string(value.begin(), value.end());
  }

private:
  /// Where Gloo listens for the other ranks: loopback on one machine; across machines the
  /// interface GLOO_SOCKET_IFNAME names (as in PyTorch), else the one this host's name resolves to.
  static std::shared_ptr<::gloo::transport::Device> glooDevice(const DistributedOptions& options) {
    if (options.masterAddr == "127.0.0.1" || options.masterAddr == "localhost")
      return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
      return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
    return c10d::ProcessGroupGloo::createDefaultDevice();
  }

  std::string seconds() const { return std::to_string(static_cast<int>(m_timeoutSeconds)) + " s"; }

  template <class F>
  void guarded(const std::string& what, F&& operation) {
    try {
      operation();
    } catch (const std::exception& e) {
      throw RankLostError("rank " + std::to_string(m_rank) + " of " + std::to_string(m_world) + ": " + what +
                          " failed: another rank died, hangs or lost its connection (waited up to " +
                          seconds() + "): " + firstLine(e));
    }
  }

  int m_rank;
  int m_world;
  double m_timeoutSeconds;
  c10::intrusive_ptr<c10d::Store> m_store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> m_group;
};

}  // namespace

std::unique_ptr<Collective> joinGroup(const DistributedOptions& options,
                                      const std::function<void(int)>& onListening) {
  return std::make_unique<GlooCollective>(options, onListening);
}

#else

std::unique_ptr<Collective> joinGroup(const DistributedOptions&, const std::function<void(int)>&) {
  throw EngineError(
      "this build has no torch.distributed (c10d with Gloo): install libgloo-dev and rebuild, or set "
      "train.processes: 1");
}

#endif

}  // namespace distill
