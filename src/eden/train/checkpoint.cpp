// Optimizer state by parameter name: LibTorch keys it by TensorImpl address, which means
// nothing outside the process that wrote it.
#include "eden/train/checkpoint.h"

#include <map>

#include "eden/util/check.h"
#include "eden/util/torch_compat.h"

namespace eden::train {
namespace {

using Kind = io::PickleValue::Kind;
using io::PickleValue;

std::map<const void*, std::string> names_by_impl(const torch::nn::Module& model) {
  std::map<const void*, std::string> out;
  for (const auto& p : model.named_parameters()) out[p.value().unsafeGetTensorImpl()] = p.key();
  return out;
}

const char* type_of(torch::optim::Optimizer& optimizer) {
  if (dynamic_cast<torch::optim::AdamW*>(&optimizer) != nullptr) return "adamw";
  if (dynamic_cast<torch::optim::SGD*>(&optimizer) != nullptr) return "sgd";
  EDEN_ASSERT(false, "checkpoint of an optimizer that is neither AdamW nor SGD");
  return "";
}

PickleValue group_options(const torch::optim::OptimizerOptions& o) {
  auto d = PickleValue::dict_of();
  if (const auto* a = dynamic_cast<const torch::optim::AdamWOptions*>(&o)) {
    d.set("lr", PickleValue::of(a->lr()));
    d.set("betas", PickleValue::list({PickleValue::of(std::get<0>(a->betas())),
                                      PickleValue::of(std::get<1>(a->betas()))}));
    d.set("eps", PickleValue::of(a->eps()));
    d.set("weight_decay", PickleValue::of(a->weight_decay()));
    d.set("amsgrad", PickleValue::of(a->amsgrad()));
  } else if (const auto* s = dynamic_cast<const torch::optim::SGDOptions*>(&o)) {
    d.set("lr", PickleValue::of(s->lr()));
    d.set("momentum", PickleValue::of(s->momentum()));
    d.set("dampening", PickleValue::of(s->dampening()));
    d.set("weight_decay", PickleValue::of(s->weight_decay()));
    d.set("nesterov", PickleValue::of(s->nesterov()));
  }
  return d;
}

}  // namespace

PickleValue optimizer_to_pickle(torch::optim::Optimizer& optimizer,
                                const torch::nn::Module& model) {
  const auto names = names_by_impl(model);
  auto name_of = [&](const torch::Tensor& p) {
    const auto it = names.find(p.unsafeGetTensorImpl());
    EDEN_ASSERT(it != names.end(), "optimizer parameter not in the model");
    return it->second;
  };
  auto groups = PickleValue::list();
  for (auto& g : optimizer.param_groups()) {
    auto d = group_options(g.options());
    auto params = PickleValue::list();
    for (const auto& p : g.params()) params.items.push_back(PickleValue::of(name_of(p)));
    d.set("params", std::move(params));
    groups.items.push_back(std::move(d));
  }
  auto state = PickleValue::dict_of();
  for (auto& g : optimizer.param_groups()) {
    for (const auto& p : g.params()) {
      const auto it = optimizer.state().find(optimizer_state_key(p));
      if (it == optimizer.state().end()) continue;  // never stepped (frozen so far)
      auto s = PickleValue::dict_of();
      if (const auto* a = dynamic_cast<const torch::optim::AdamWParamState*>(it->second.get())) {
        s.set("step", PickleValue::of(a->step()));
        s.set("exp_avg", PickleValue::of(a->exp_avg()));
        s.set("exp_avg_sq", PickleValue::of(a->exp_avg_sq()));
        if (a->max_exp_avg_sq().defined())
          s.set("max_exp_avg_sq", PickleValue::of(a->max_exp_avg_sq()));
      } else if (const auto* m =
                     dynamic_cast<const torch::optim::SGDParamState*>(it->second.get())) {
        if (m->momentum_buffer().defined())
          s.set("momentum_buffer", PickleValue::of(m->momentum_buffer()));
      }
      state.set(name_of(p), std::move(s));
    }
  }
  return PickleValue::dict_of({{"type", PickleValue::of(type_of(optimizer))},
                               {"param_groups", std::move(groups)},
                               {"state", std::move(state)}});
}

void optimizer_from_pickle(torch::optim::Optimizer& optimizer, const torch::nn::Module& model,
                           const PickleValue& saved, const std::string& what) {
  const std::string type = saved.at("type", Kind::kString, what).s;
  EDEN_CHECK(type == type_of(optimizer), what, ": the checkpoint's optimizer is ", type,
             ", this run's is ", type_of(optimizer));
  const auto& groups = saved.at("param_groups", Kind::kList, what).items;
  EDEN_CHECK(groups.size() == optimizer.param_groups().size(), what, ": ", groups.size(),
             " optimizer groups saved, ", optimizer.param_groups().size(), " in this run");
  std::map<std::string, torch::Tensor> params;
  for (const auto& p : model.named_parameters()) params[p.key()] = p.value();
  for (size_t k = 0; k < groups.size(); ++k) {
    auto& g = optimizer.param_groups()[k];
    const auto& names = groups[k].at("params", Kind::kList, what).items;
    EDEN_CHECK(names.size() == g.params().size(), what, ": optimizer group ", k, " has ",
               names.size(), " parameters saved, ", g.params().size(), " in this run");
    for (size_t j = 0; j < names.size(); ++j) {
      EDEN_CHECK(names[j].kind == Kind::kString && params.count(names[j].s) != 0 &&
                     params[names[j].s].is_same(g.params()[j]),
                 what, ": optimizer group ", k, " parameter ", j, " is '", names[j].s,
                 "' in the checkpoint, another in this run's model");
    }
    g.options().set_lr(groups[k].number("lr", what));
  }
  optimizer.state().clear();
  for (const auto& [name, s] : saved.at("state", Kind::kDict, what).dict) {
    EDEN_CHECK(params.count(name) != 0, what, ": optimizer state for '", name,
               "', which this model does not have");
    const torch::Tensor& p = params[name];
    // In the parameter's device and memory format (channels_last convolutions): FusedAdamW's
    // fused loop needs parameter, gradient and moments in one layout, as before the save.
    auto tensor = [&](const char* key) {
      const auto& t = s.at(key, Kind::kTensor, what + " (" + name + ")").tensor;
      EDEN_CHECK(t.sizes() == p.sizes(), what, ": optimizer state '", key, "' of '", name,
                 "' has shape ", t.sizes(), ", the parameter ", p.sizes());
      return torch::empty_like(p, torch::MemoryFormat::Preserve).copy_(t);
    };
    if (type == "adamw") {
      auto st = std::make_unique<torch::optim::AdamWParamState>();
      st->step(s.at("step", Kind::kInt, what).i);
      st->exp_avg(tensor("exp_avg"));
      st->exp_avg_sq(tensor("exp_avg_sq"));
      if (s.find("max_exp_avg_sq") != nullptr) st->max_exp_avg_sq(tensor("max_exp_avg_sq"));
      optimizer.state()[optimizer_state_key(p)] = std::move(st);
    } else {
      auto st = std::make_unique<torch::optim::SGDParamState>();
      if (s.find("momentum_buffer") != nullptr) st->momentum_buffer(tensor("momentum_buffer"));
      optimizer.state()[optimizer_state_key(p)] = std::move(st);
    }
  }
}

}  // namespace eden::train
