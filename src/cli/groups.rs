//! `softeq groups`: the group catalog and the dimensions of equivariant weight spaces.

use clap::Args;

use crate::error::Result;
use crate::symmetry::{
    BasisCache, Group, Projector, SumRep, VALID_GROUP_NAMES, gated, per_allocation,
};

/// Settings of `softeq groups`.
#[derive(Args, Debug, Clone)]
pub struct GroupsArgs {
    /// Groups to describe, comma-separated (default: the inertia candidates).
    #[arg(long, default_value = "O(3),O(2)_xy,O(2)_yz,O(2)_xz")]
    pub groups: String,
    /// Input representation of the map, e.g. "5T0+5T1".
    #[arg(long, default_value = "5T0+5T1")]
    pub rep_in: String,
    /// Output representation of the map, e.g. "T2".
    #[arg(long, default_value = "T2")]
    pub rep_out: String,
    /// Also list every layer of PER's network with this many channels.
    #[arg(long)]
    pub ch: Option<usize>,
}

/// Prints the catalog, then for each group its generators and the equivariant dimensions.
pub fn run_groups(args: &GroupsArgs) -> Result<()> {
    println!("group names: {VALID_GROUP_NAMES}");
    println!();
    let rep_in: SumRep = args.rep_in.parse()?;
    let rep_out: SumRep = args.rep_out.parse()?;
    let cache = BasisCache::new();
    for name in args
        .groups
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let g = Group::parse(name)?;
        println!(
            "{name}: acts on R^{}, {} Lie-algebra and {} discrete generators, {}orthogonal",
            g.dim(),
            g.lie_generators().len(),
            g.discrete_generators().len(),
            if g.is_orthogonal() { "" } else { "not " }
        );
        let w = Projector::for_weights(&g, &rep_in, &rep_out, &cache)?;
        let b = Projector::for_bias(&g, &rep_out, &cache)?;
        println!(
            "  {} -> {}: weights {} of {}, bias {} of {}",
            rep_in,
            rep_out,
            w.rank(),
            w.shape().0 * w.shape().1,
            b.rank(),
            rep_out.size(g.dim())
        );
        if let Some(ch) = args.ch {
            let hidden = per_allocation(ch, g.dim());
            let gated_rep = gated(&hidden, &g);
            let layers = [
                ("input", rep_in.clone(), gated_rep.clone()),
                ("hidden", hidden.clone(), gated_rep.clone()),
                ("output", hidden.clone(), rep_out.clone()),
            ];
            println!("  PER network with ch {ch}: hidden {hidden}, gated {gated_rep}");
            for (label, a, b) in layers {
                let p = Projector::for_weights(&g, &a, &b, &cache)?;
                let pb = Projector::for_bias(&g, &b, &cache)?;
                println!(
                    "    {label:<6} {}x{}: weights {}, bias {}",
                    p.shape().0,
                    p.shape().1,
                    p.rank(),
                    pb.rank()
                );
            }
        }
    }
    Ok(())
}
